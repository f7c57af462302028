package dev.metering.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

import dev.metering.infra.EmbeddedKafka;
import dev.metering.infra.FreePorts;
import dev.metering.model.kafka.Topics;
import dev.metering.model.key.ProxyKeys;

/**
 * Edge overhead: the same open-loop load, at each rate, straight to a fast fake upstream and
 * through an edge (its own process, on a real broker) to that upstream; the difference is what
 * the edge adds. Also the edge's CPU and memory at each rate.
 */
final class EdgeOverheadBench {
    private static final String SECRET = "bench-shared-secret";

    private EdgeOverheadBench() {
    }

    static void run(Path meteringJar, List<Integer> rates, int seconds) throws Exception {
        Path work = Files.createTempDirectory("bench-edge");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"), 0, true);
                FastUpstream upstream = FastUpstream.start(1)) {
            Topics.ensure(kafka.bootstrapServers(), List.of(Topics.usageEvents("usage-events", Topics.Layout.DEFAULT),
                    Topics.quotaState("quota-state", Topics.Layout.DEFAULT)), Duration.ofSeconds(30));
            int port = FreePorts.pick();
            Process edge = startEdge(meteringJar, port, upstream.url(), kafka.bootstrapServers(), work.resolve("spool"));
            try {
                URI edgeUrl = URI.create("http://127.0.0.1:" + port);
                Map<String, String> auth = Map.of("x-api-key", new ProxyKeys(SECRET).issue("bench"));
                System.out.println();
                System.out.println("## Edge overhead (" + seconds + " s per run, open loop, latency from the due time)");
                System.out.println();
                System.out.println("| kind | rate/s | path | p50 ms | p99 ms | p99.9 ms | max ms | ok | errors | edge CPU % | edge RSS MiB |");
                System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
                for (String kind : List.of("json", "stream")) {
                    byte[] body = ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"stream\":" + kind.equals("stream")
                            + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hello from the benchmark\"}]}")
                            .getBytes(StandardCharsets.UTF_8);
                    // Warm both paths (JIT, connection pools) before anything is recorded: the edge
                    // is a fresh JVM, and its compiler threads would otherwise share the two cores
                    // with the first measured runs.
                    OpenLoopLoad.run(upstream.url(), "/v1/messages", body, Map.of(), 1000, 5000, 256);
                    OpenLoopLoad.run(edgeUrl, "/v1/messages", body, auth, 1000, 20_000, 256);
                    for (int rate : rates) {
                        OpenLoopLoad.Result direct = OpenLoopLoad.run(upstream.url(), "/v1/messages", body, Map.of(), rate,
                                seconds * 1000L, 512);
                        double cpu0 = ProcessStats.cpuSeconds(edge.pid());
                        long t0 = System.nanoTime();
                        OpenLoopLoad.Result viaEdge = OpenLoopLoad.run(edgeUrl, "/v1/messages", body, auth, rate,
                                seconds * 1000L, 512);
                        double cpu = (ProcessStats.cpuSeconds(edge.pid()) - cpu0)
                                / ((System.nanoTime() - t0) / 1e9) * 100;
                        double rss = ProcessStats.rssMiB(edge.pid());
                        row(kind, rate, "direct", direct, "", "");
                        row(kind, rate, "edge", viaEdge, String.format("%.0f", cpu), String.format("%.0f", rss));
                        System.out.printf("| %s | %d | **added** | %s | %s | %s | | | | | |%n", kind, rate,
                                diff(viaEdge, direct, 50), diff(viaEdge, direct, 99), diff(viaEdge, direct, 99.9));
                    }
                }
            } finally {
                edge.destroy();
                edge.waitFor(60, TimeUnit.SECONDS);
            }
        }
        dev.metering.infra.Directories.deleteRecursively(work);
    }

    private static void row(String kind, int rate, String path, OpenLoopLoad.Result r, String cpu, String rss) {
        Histogram h = r.latencyMicros();
        System.out.printf("| %s | %d | %s | %s | %s | %s | %s | %d | %d | %s | %s |%n", kind, rate, path, ms(h, 50),
                ms(h, 99), ms(h, 99.9), String.format("%.2f", h.getMaxValue() / 1000.0), r.ok(), r.errors(), cpu, rss);
    }

    private static String ms(Histogram h, double percentile) {
        return String.format("%.3f", h.getValueAtPercentile(percentile) / 1000.0);
    }

    private static String diff(OpenLoopLoad.Result a, OpenLoopLoad.Result b, double percentile) {
        return String.format("%+.3f", (a.latencyMicros().getValueAtPercentile(percentile)
                - b.latencyMicros().getValueAtPercentile(percentile)) / 1000.0);
    }

    private static Process startEdge(Path jar, int port, URI upstream, String bootstrap, Path spool) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>();
        String cpus = System.getenv("BENCH_EDGE_CPUS"); // e.g. "1": the edge alone on that core (taskset)
        if (cpus != null && !cpus.isBlank()) {
            cmd.addAll(List.of("taskset", "-c", cpus.trim()));
        }
        cmd.addAll(List.of(java, "-Xms256m", "-Xmx512m", "-XX:+UseParallelGC"));
        String extra = System.getenv("BENCH_EDGE_JAVA_OPTS"); // e.g. a JFR recording of the edge
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-jar", jar.toString(), "edge"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PROXY_PORT", Integer.toString(port));
        pb.environment().put("ANTHROPIC_API_URL", upstream.toString());
        pb.environment().put("ANTHROPIC_API_KEY", "sk-ant-bench");
        pb.environment().put("PROXY_SHARED_SECRET", SECRET);
        pb.environment().put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        pb.environment().put("PROXY_SPOOL_DIR", spool.toString());
        pb.environment().put("PROXY_EDGE_ID", "bench-edge");
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(Files.createTempFile("bench-edge", ".log").toFile());
        Process p = pb.start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return p;
                }
            } catch (java.io.IOException e) {
                // not up yet
            }
            Thread.sleep(100);
        }
        p.destroyForcibly();
        throw new IllegalStateException("edge did not become ready");
    }
}
