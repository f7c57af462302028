package dev.metering.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The edge under test, a process of its own (its CPU and memory: {@link ProcessStats}), and its JVM's totals from {@code /metrics}. */
final class EdgeProcess {
    /**
     * Cumulative JVM figures the edge exports: bytes allocated (as of the last collection, plus
     * what the young generation's eden holds now), GC pauses and their total time.
     */
    record JvmTotals(double allocatedBytes, long gcPauses, double gcPauseSeconds) {
        /** Nothing: the start of a sum, and what a route without an edge reports. */
        static final JvmTotals NONE = new JvmTotals(0, 0, 0);

        JvmTotals minus(JvmTotals earlier) {
            return new JvmTotals(allocatedBytes - earlier.allocatedBytes, gcPauses - earlier.gcPauses,
                    gcPauseSeconds - earlier.gcPauseSeconds);
        }

        JvmTotals plus(JvmTotals more) {
            return new JvmTotals(allocatedBytes + more.allocatedBytes, gcPauses + more.gcPauses,
                    gcPauseSeconds + more.gcPauseSeconds);
        }
    }

    private final Process process;
    private final URI base;
    private final URI metrics;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    EdgeProcess(Process process, URI base) {
        this.process = process;
        this.base = base;
        this.metrics = base.resolve("/metrics");
    }

    Process process() {
        return process;
    }

    /** Where the edge listens. */
    URI base() {
        return base;
    }

    /** Reads the totals from the edge's Prometheus text (GC pauses summed over collectors and causes). */
    JvmTotals jvm() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + metrics + " answered " + r.statusCode());
        }
        double allocated = 0;
        long pauses = 0;
        double pauseSeconds = 0;
        for (String line : r.body().split("\n")) {
            // The allocation counter moves at each collection only; what the young generation
            // holds now was allocated since the last one.
            if (line.startsWith("jvm_gc_memory_allocated_bytes_total")
                    || line.startsWith("jvm_memory_used_bytes") && line.contains("Eden")) {
                allocated += value(line);
            } else if (line.startsWith("jvm_gc_pause_seconds_count")) {
                pauses += (long) value(line);
            } else if (line.startsWith("jvm_gc_pause_seconds_sum")) {
                pauseSeconds += value(line);
            }
        }
        return new JvmTotals(allocated, pauses, pauseSeconds);
    }

    private static double value(String line) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
}
