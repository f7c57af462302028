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
 * through an edge (its own process, on a real broker) to that upstream, interleaved; the
 * difference is what the edge adds. Also the edge's CPU and memory at each rate, and how much of
 * the machine the hypervisor stole meanwhile.
 */
final class EdgeOverheadBench {
    private static final String SECRET = "bench-shared-secret";
    /** The edge's JVM flags unless {@code BENCH_EDGE_JAVA_OPTS} says otherwise. */
    static final String EDGE_JAVA_OPTS = "-Xms256m -Xmx512m -XX:+UseParallelGC";

    private EdgeOverheadBench() {
    }

    static void run(Path meteringJar, List<String> kinds, List<Integer> rates, int seconds, double maxSteal)
            throws Exception {
        Path work = Files.createTempDirectory("bench-edge");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"), 0, true);
                FastUpstream upstream = FastUpstream.start(1)) {
            Topics.ensure(kafka.bootstrapServers(), List.of(Topics.usageEvents("usage-events", Topics.Layout.DEFAULT),
                    Topics.quotaState("quota-state", Topics.Layout.DEFAULT)), Duration.ofSeconds(30));
            int port = FreePorts.pick();
            Process edgeProcess = startEdge(meteringJar, port, upstream.url(), kafka.bootstrapServers(),
                    work.resolve("spool"));
            try {
                URI edgeUrl = URI.create("http://127.0.0.1:" + port);
                EdgeProcess edge = new EdgeProcess(edgeProcess, edgeUrl);
                Map<String, String> auth = Map.of("x-api-key", new ProxyKeys(SECRET).issue("bench"));
                System.out.println();
                System.out.println("## Edge overhead (" + seconds + " s per path and rate, in 1 s slices that alternate "
                        + "between the paths; open loop, latency from the due time)");
                System.out.println();
                System.out.println("| kind | rate/s | path | p50 ms | p99 ms | p99.9 ms | max ms | ok | errors | edge CPU % "
                        + "| edge RSS MiB | edge KiB allocated/call | edge GC pauses (total ms) | steal % |");
                System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
                for (String kind : kinds) {
                    byte[] body = ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"stream\":" + kind.equals("stream")
                            + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hello from the benchmark\"}]}")
                            .getBytes(StandardCharsets.UTF_8);
                    try (OpenLoopLoad direct = new OpenLoopLoad(upstream.url(), "/v1/messages", body, Map.of(), 512);
                            OpenLoopLoad viaEdge = new OpenLoopLoad(edgeUrl, "/v1/messages", body, auth, 512)) {
                        // Warm both paths (JIT, connection pools) before anything is recorded: the
                        // edge is a fresh JVM, and its compiler threads would otherwise share the two
                        // cores with the first measured runs.
                        direct.run(1000, 5000);
                        viaEdge.run(1000, 20_000);
                        for (int rate : rates) {
                            measure(kind, rate, seconds, maxSteal, direct, viaEdge, edge);
                        }
                    }
                }
            } finally {
                edgeProcess.destroy();
                edgeProcess.waitFor(60, TimeUnit.SECONDS);
            }
        }
        dev.metering.infra.Directories.deleteRecursively(work);
    }

    /**
     * What one set of slice pairs measured: both paths, and meanwhile the edge's CPU (during its
     * slices), its JVM's allocation and GC pauses (over the whole pairs), and the machine's steal.
     */
    private static final class Tally {
        OpenLoopLoad.Result direct = OpenLoopLoad.Result.empty();
        OpenLoopLoad.Result edge = OpenLoopLoad.Result.empty();
        double edgeCpuSeconds;
        double edgeWallSeconds;
        EdgeProcess.JvmTotals jvm = new EdgeProcess.JvmTotals(0, 0, 0);
        double stealPercentSum;
        int pairs;

        void add(Pair p) {
            direct = direct.plus(p.direct);
            edge = edge.plus(p.edge);
            edgeCpuSeconds += p.edgeCpuSeconds;
            edgeWallSeconds += p.edgeWallSeconds;
            jvm = new EdgeProcess.JvmTotals(jvm.allocatedBytes() + p.jvm.allocatedBytes(),
                    jvm.gcPauses() + p.jvm.gcPauses(), jvm.gcPauseSeconds() + p.jvm.gcPauseSeconds());
            stealPercentSum += p.stealPercent;
            pairs++;
        }

        void print(String kind, int rate, String label, EdgeProcess process) throws Exception {
            String steal = String.format("%.0f", stealPercentSum / Math.max(1, pairs));
            long calls = edge.ok() + edge.errors();
            row(kind, rate, "direct" + label, direct, "", "", "", "", steal);
            row(kind, rate, "edge" + label, edge, String.format("%.0f", edgeCpuSeconds / edgeWallSeconds * 100),
                    String.format("%.0f", process.rssMiB()),
                    String.format("%.1f", jvm.allocatedBytes() / 1024 / Math.max(1, calls)),
                    String.format("%d (%.0f)", jvm.gcPauses(), jvm.gcPauseSeconds() * 1000), steal);
            System.out.printf("| %s | %d | **added**%s | %s | %s | %s | | | | | | | | |%n", kind, rate, label,
                    diff(edge, direct, 50), diff(edge, direct, 99), diff(edge, direct, 99.9));
        }
    }

    /** One pair of slices, one per path. */
    private record Pair(OpenLoopLoad.Result direct, OpenLoopLoad.Result edge, double edgeCpuSeconds,
            double edgeWallSeconds, EdgeProcess.JvmTotals jvm, double stealPercent) {
    }

    /**
     * Both paths at one rate, in pairs of one-second slices whose order alternates (direct then
     * edge, edge then direct, ...), so that both meet the same machine: on a shared host a burst
     * of stolen CPU would otherwise land on one path's run and not the other's. With
     * {@code maxSteal} > 0 the pairs during which the hypervisor stole at most that share of the
     * CPU are also reported on their own, and pairs are added (up to four times {@code seconds})
     * until {@code seconds} of them are quiet.
     */
    private static void measure(String kind, int rate, int seconds, double maxSteal, OpenLoopLoad direct,
            OpenLoopLoad viaEdge, EdgeProcess edge) throws Exception {
        Tally all = new Tally();
        Tally quiet = new Tally();
        int maxPairs = maxSteal > 0 ? 4 * seconds : seconds;
        while (all.pairs < maxPairs && (maxSteal > 0 ? quiet.pairs < seconds : all.pairs < seconds)) {
            EdgeProcess.JvmTotals jvm0 = edge.jvm();
            ProcessStats.MachineTicks ticks0 = ProcessStats.MachineTicks.now();
            OpenLoopLoad.Result d = null;
            OpenLoopLoad.Result e = null;
            double cpu = 0;
            double wall = 0;
            for (int turn = 0; turn < 2; turn++) {
                if ((all.pairs + turn) % 2 == 0) {
                    d = direct.run(rate, 1000);
                } else {
                    double cpu0 = edge.cpuSeconds();
                    long t0 = System.nanoTime();
                    e = viaEdge.run(rate, 1000);
                    cpu = edge.cpuSeconds() - cpu0;
                    wall = (System.nanoTime() - t0) / 1e9;
                }
            }
            double steal = ProcessStats.MachineTicks.now().stealPercentSince(ticks0);
            Pair pair = new Pair(d, e, cpu, wall, edge.jvm().minus(jvm0), steal);
            all.add(pair);
            if (maxSteal > 0 && steal <= maxSteal) {
                quiet.add(pair);
            }
        }
        all.print(kind, rate, maxSteal > 0 ? ", all " + all.pairs + " s" : "", edge);
        if (maxSteal > 0) {
            if (quiet.pairs == 0) {
                System.out.printf("| %s | %d | no quiet pair (steal ≤ %.0f %%) in %d s | | | | | | | | | | | |%n", kind, rate,
                        maxSteal, all.pairs);
            } else {
                quiet.print(kind, rate, String.format(", quiet %d s (steal ≤ %.0f %%)", quiet.pairs, maxSteal), edge);
            }
        }
    }

    private static void row(String kind, int rate, String path, OpenLoopLoad.Result r, String cpu, String rss,
            String allocated, String gc, String steal) {
        Histogram h = r.latencyMicros();
        System.out.printf("| %s | %d | %s | %s | %s | %s | %s | %d | %d | %s | %s | %s | %s | %s |%n", kind, rate, path,
                ms(h, 50), ms(h, 99), ms(h, 99.9), String.format("%.2f", h.getMaxValue() / 1000.0), r.ok(), r.errors(),
                cpu, rss, allocated, gc, steal);
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
        cmd.add(java);
        String opts = System.getenv("BENCH_EDGE_JAVA_OPTS"); // replaces the default: another GC, a JFR recording
        cmd.addAll(List.of((opts == null || opts.isBlank() ? EDGE_JAVA_OPTS : opts).trim().split("\\s+")));
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
