package dev.metering.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.metering.infra.EmbeddedKafka;

/**
 * The edge bench's Kafka broker, in a JVM of its own: the same embedded broker as everywhere
 * else, but not in the process that generates the load and plays the upstream. In one process,
 * the load generator paused for its collector 7-20 ms every 5-6 s (G1, -Xlog:gc), and as the
 * broker allocates only while an edge ships its events, those pauses were likelier to land on an
 * edge's slices than on the others'. In production the broker is on other machines; here it
 * still shares the two cores, but no longer the generator's heap.
 */
final class BrokerProcess implements AutoCloseable {
    private static final String READY = "bootstrap ";
    /** The broker's JVM flags: a fixed heap, like the edge's and the relay's. */
    private static final String JAVA_OPTS = "-Xms512m -Xmx512m";

    private final Process process;
    private final String bootstrapServers;

    private BrokerProcess(Process process, String bootstrapServers) {
        this.process = process;
        this.bootstrapServers = bootstrapServers;
    }

    /** Starts a broker keeping its data in {@code dir}, and waits (at most 90 s) until it serves clients. */
    static BrokerProcess start(Path dir, String java, String classpath) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(List.of(JAVA_OPTS.split(" ")));
        cmd.addAll(List.of("-cp", classpath, BrokerProcess.class.getName(), dir.toString()));
        Path log = Files.createTempFile("bench-broker", ".log");
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        CompletableFuture<String> bootstrap = new CompletableFuture<>();
        Thread reader = new Thread(() -> bootstrap.complete(readBootstrap(p)), "bench-broker-start");
        reader.setDaemon(true);
        reader.start();
        boolean started = false;
        try {
            String servers = bootstrap.get(90, TimeUnit.SECONDS);
            if (servers == null) {
                throw new IllegalStateException("the broker exited before serving; its log: " + log);
            }
            started = true;
            return new BrokerProcess(p, servers);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the broker did not start in 90 s; its log: " + log, e);
        } finally {
            if (!started) {
                ChildProcesses.kill(p);
            }
        }
    }

    /** The line the broker prints once it serves clients, or null when it exited first. */
    private static String readBootstrap(Process p) {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith(READY)) {
                    return line.substring(READY.length()).trim();
                }
            }
            return null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    Process process() {
        return process;
    }

    /** Stops the broker (it shuts down cleanly on SIGTERM) and waits at most a minute before killing it. */
    @Override
    public void close() throws InterruptedException {
        ChildProcesses.stop(List.of(process));
    }

    /** The broker process: {@code BrokerProcess DIR}; prints {@code bootstrap HOST:PORT} once it serves. */
    public static void main(String[] args) throws InterruptedException {
        if (args.length != 1) {
            System.err.println("usage: BrokerProcess DATA_DIR");
            System.exit(2);
        }
        EmbeddedKafka kafka = EmbeddedKafka.start(Path.of(args[0]), 0, true);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kafka.close();
            stopped.countDown();
        }, "broker-shutdown"));
        System.out.println(READY + kafka.bootstrapServers());
        System.out.flush();
        stopped.await();
    }
}
