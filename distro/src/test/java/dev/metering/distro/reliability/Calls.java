package dev.metering.distro.reliability;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * Bounded load that records every call of a scenario by its session id, and whether its response
 * completed (a 200 with a whole body: the JSON message, or a stream up to message_stop).
 */
final class Calls {
    final String scenario;
    final Map<String, Boolean> completed = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger();

    Calls(String scenario) {
        this.scenario = scenario;
    }

    String prefix() {
        return "s-" + scenario + "-";
    }

    /** Makes {@code count} calls over {@code threads} threads to the edge on {@code port}, then returns. */
    void run(int port, int count, int threads, boolean stream) {
        List<CompletableFuture<Void>> workers = IntStream.range(0, threads).mapToObj(t -> CompletableFuture.runAsync(() -> {
            int i;
            while ((i = next.getAndIncrement()) < count) {
                one(port, i, stream);
            }
        })).toList();
        CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).join();
    }

    void one(int port, int i, boolean stream) {
        String session = prefix() + i + (stream ? "-s" : "-j");
        try {
            HttpResponse<String> r = Cluster.call(port, "user-" + (i % 7), session, stream);
            completed.put(session, complete(r, stream));
        } catch (Exception e) {
            completed.put(session, false); // the edge went away mid-call
        }
    }

    static boolean complete(HttpResponse<String> r, boolean stream) {
        return r.statusCode() == 200 && (stream ? r.body().contains("event: message_stop") : r.body().contains("\"usage\""));
    }

    long completedCount() {
        return completed.values().stream().filter(b -> b).count();
    }
}
