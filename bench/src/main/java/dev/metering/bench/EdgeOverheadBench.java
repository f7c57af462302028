package dev.metering.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

import dev.metering.infra.FreePorts;
import dev.metering.model.kafka.Topics;
import dev.metering.model.key.ProxyKeys;

/**
 * Edge overhead: the same open-loop load, at each rate, straight to a fast fake upstream and
 * through an edge (its own process, on a real broker) to that upstream, interleaved; the
 * difference is what the edge adds. Also the edge's CPU and memory at each rate, and how much of
 * the machine the hypervisor stole meanwhile. With {@code versusOpts} (JVM flags) or a
 * {@code versusJar}, a second edge ("edge B") runs with those flags instead, or from that jar, and
 * takes its turns too, so a change can be measured against the edge without it, on the same
 * machine at the same time. With {@code control}, a second direct path ("direct again") takes its
 * turns as well: two identical paths, so its difference from direct is what the machine alone
 * moves a figure by, the floor under any difference the table shows.
 */
final class EdgeOverheadBench {
    private static final String SECRET = "bench-shared-secret";
    /**
     * The edge's JVM flags unless {@code BENCH_EDGE_JAVA_OPTS} says otherwise. The metaspace
     * threshold sits above what an edge settles at (about 35 MB): with the default (about 21 MB),
     * Parallel GC runs a full collection each time metaspace grows past it, and the second of
     * those (75 ms, seen at 185 s with -Xlog:gc) fell inside the measured rounds, long after the
     * warm-up. An edge that has run for an hour has had both and will not have another.
     */
    static final String EDGE_JAVA_OPTS = "-Xms512m -Xmx512m -XX:+UseParallelGC -XX:MetaspaceSize=64m";

    private EdgeOverheadBench() {
    }

    /** What to measure: the kinds and rates, how long, and which paths besides direct, the relay and the edge. */
    record Options(Path jar, List<String> kinds, List<Integer> rates, int seconds, double maxSteal, String versusOpts,
            Path versusJar, boolean control, Path nginx) {
        boolean versusEdge() {
            return !versusOpts.isBlank() || versusJar != null;
        }
    }

    static void run(Options options) throws Exception {
        Path work = Files.createTempDirectory("bench-edge");
        String opts = System.getenv("BENCH_EDGE_JAVA_OPTS"); // replaces the default: another GC, a JFR recording
        String javaOpts = opts == null || opts.isBlank() ? EDGE_JAVA_OPTS : opts.trim();
        // Interrupted (Ctrl-C), the bench would otherwise leave its broker, edges and proxies running.
        Thread stopChildren = new Thread(() -> ProcessHandle.current().descendants().forEach(ProcessHandle::destroy),
                "bench-stop-children");
        Runtime.getRuntime().addShutdownHook(stopChildren);
        try (BrokerProcess kafka = BrokerProcess.start(work.resolve("kafka"), javaBinary(), benchClasspath());
                FastUpstream upstream = FastUpstream.start(1)) {
            List<Process> processes = new ArrayList<>();
            try {
                measureAll(options, javaOpts, kafka, upstream, work, processes);
            } finally {
                ChildProcesses.stop(processes); // while the broker is still up: an edge delivers what it holds on the way out
            }
        }
        dev.metering.infra.Directories.deleteRecursively(work);
        Runtime.getRuntime().removeShutdownHook(stopChildren);
    }

    private static void measureAll(Options o, String javaOpts, BrokerProcess kafka, FastUpstream upstream, Path work,
            List<Process> processes) throws Exception {
        Topics.ensure(kafka.bootstrapServers(), List.of(Topics.usageEvents("usage-events", Topics.Layout.DEFAULT),
                Topics.quotaState("quota-state", Topics.Layout.DEFAULT)), Duration.ofSeconds(30));
        List<EdgeProcess> edges = new ArrayList<>();
        List<String> edgeFlags = new ArrayList<>(List.of(javaOpts));
        List<Path> edgeJars = new ArrayList<>(List.of(o.jar()));
        if (o.versusEdge()) {
            edgeFlags.add(o.versusOpts().isBlank() ? javaOpts : o.versusOpts().trim());
            edgeJars.add(o.versusJar() == null ? o.jar() : o.versusJar());
        }
        for (int i = 0; i < edgeFlags.size(); i++) {
            int port = FreePorts.pick();
            Process p = startEdge(edgeJars.get(i), edgeFlags.get(i), port, upstream.url(), kafka.bootstrapServers(),
                    work.resolve("spool-" + i), "bench-edge-" + i);
            processes.add(p);
            edges.add(new EdgeProcess(p, URI.create("http://127.0.0.1:" + port)));
        }
        int relayPort = FreePorts.pick();
        Process relay = startRelay(relayPort, upstream.url());
        processes.add(relay);
        int nginxPort = o.nginx() == null ? 0 : FreePorts.pick();
        Process nginx = o.nginx() == null ? null : NginxProxy.start(pinning(), o.nginx(), work.resolve("nginx"), nginxPort,
                upstream.url());
        if (nginx != null) {
            processes.add(nginx);
        }
        Map<String, String> auth = Map.of("x-api-key", new ProxyKeys(SECRET).issue("bench"));
        System.out.println();
        System.out.println("## Edge overhead (" + o.seconds() + " s per path and rate, in 1 s slices that take turns "
                + "between the paths; open loop, latency from the due time)");
        System.out.println();
        System.out.println("\"relay\" is a proxy that only relays (`RelayProxy`: the same Netty and event loops, no "
                + "metering), run with `" + EDGE_JAVA_OPTS + "`: what any proxy in between costs on this machine.");
        if (nginx != null) {
            System.out.println("\"nginx\" is `" + o.nginx() + "` as a reverse proxy (keep-alive upstream connections, "
                    + "no buffering, a worker per core): what a mature proxy in C costs on this machine.");
        }
        if (o.control()) {
            System.out.println("\"direct again\" is a second direct path, identical to the first, in the same rounds: "
                    + "its difference from direct is what the machine alone moves each figure by.");
        }
        if (o.versusEdge()) {
            System.out.println("\"edge\" is `" + o.jar() + "` run with `" + javaOpts + "`; \"edge B\" is `"
                    + edgeJars.get(1) + "` run with `" + edgeFlags.get(1) + "`.");
        }
        System.out.println();
        System.out.println("| kind | rate/s | path | p50 ms | p99 ms | p99.9 ms | max ms | ok | errors | proxy CPU % "
                + "| proxy RSS MiB | edge KiB allocated/call | edge GC pauses (total ms) | steal % |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        boolean first = true;
        for (String kind : o.kinds()) {
            byte[] body = ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"stream\":" + kind.equals("stream")
                    + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hello from the benchmark\"}]}")
                    .getBytes(StandardCharsets.UTF_8);
            List<Route> routes = new ArrayList<>();
            try {
                routes.add(new Route("direct", Role.DIRECT, load(upstream.url(), body, Map.of()), null, null));
                if (o.control()) {
                    routes.add(new Route("direct again", Role.DIRECT, load(upstream.url(), body, Map.of()), null, null));
                }
                routes.add(new Route("relay", Role.PROXY, load(local(relayPort), body, Map.of()), relay, null));
                if (nginx != null) {
                    routes.add(new Route("nginx", Role.PROXY, load(local(nginxPort), body, Map.of()), nginx, null));
                }
                for (int i = 0; i < edges.size(); i++) {
                    EdgeProcess edge = edges.get(i);
                    routes.add(new Route(i == 0 ? "edge" : "edge B", Role.EDGE, load(edge.base(), body, auth),
                            edge.process(), edge));
                }
                for (Route r : routes) {
                    r.load().run(1000, warmUpMillis(r, first));
                }
                first = false;
                List<Comparison> comparisons = comparisons(routes);
                for (int rate : o.rates()) {
                    measure(kind, rate, o.seconds(), o.maxSteal(), routes, comparisons);
                }
            } finally {
                for (Route r : routes) {
                    r.load().close();
                }
            }
        }
    }

    /**
     * How long to warm a route (JIT, connection pools) before anything is recorded: an edge (and
     * the relay) is a fresh JVM, and its compiler threads would otherwise share the two cores with
     * the first measured runs. An edge gets a minute before the first kind, because its first
     * minute also holds GC work an edge that has run for days has long done: its first young
     * collections copy its long-lived data (about 15 MB) until it is tenured, at 10-20 ms each
     * instead of 2 ms. (The full collections Parallel GC runs when metaspace outgrows its
     * threshold are kept out by the threshold in {@link #EDGE_JAVA_OPTS}.)
     */
    private static long warmUpMillis(Route route, boolean firstKind) {
        return switch (route.role()) {
            case EDGE -> firstKind ? 60_000 : 10_000;
            case PROXY -> 20_000;
            case DIRECT -> 5000;
        };
    }

    private static OpenLoopLoad load(URI target, byte[] body, Map<String, String> headers) {
        return new OpenLoopLoad(target, "/v1/messages", body, headers, 512);
    }

    private static URI local(int port) {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** What a route goes through: nothing, a baseline proxy (the relay, nginx), or an edge. */
    private enum Role {
        DIRECT, PROXY, EDGE
    }

    /**
     * A way for the load to go: straight to the upstream ({@code process} null), through a
     * baseline proxy ({@code edge} null), or through an edge.
     */
    private record Route(String name, Role role, OpenLoopLoad load, Process process, EdgeProcess edge) {
    }

    /** Which route's figures are set against which: {route, base} pairs, by index in {@code routes}. */
    private record Comparison(int route, int base) {
    }

    /**
     * Every other route against direct (the first); every edge against every baseline proxy; a
     * second edge against the first.
     */
    private static List<Comparison> comparisons(List<Route> routes) {
        List<Comparison> out = new ArrayList<>();
        List<Integer> proxies = new ArrayList<>();
        List<Integer> edges = new ArrayList<>();
        for (int i = 0; i < routes.size(); i++) {
            if (i > 0) {
                out.add(new Comparison(i, 0));
            }
            if (routes.get(i).role() == Role.PROXY) {
                proxies.add(i);
            } else if (routes.get(i).role() == Role.EDGE) {
                edges.add(i);
            }
        }
        for (int e : edges) {
            for (int p : proxies) {
                out.add(new Comparison(e, p));
            }
        }
        if (edges.size() > 1) {
            out.add(new Comparison(edges.get(1), edges.get(0)));
        }
        return out;
    }

    /**
     * What one route measured in one round: latencies; for a proxy its CPU during its slice; for an
     * edge its JVM's totals over the round.
     */
    private record Slice(OpenLoopLoad.Result result, double cpuSeconds, double wallSeconds, EdgeProcess.JvmTotals jvm) {
    }

    private static final double[] PERCENTILES = {50, 99, 99.9};

    /** What one route measured over a set of rounds. */
    private static final class RouteTally {
        OpenLoopLoad.Result result = OpenLoopLoad.Result.empty();
        /** Per round, this route's p50, p99 and p99.9, in ms. */
        final List<double[]> percentilesPerRound = new ArrayList<>();
        double cpuSeconds;
        double wallSeconds;
        EdgeProcess.JvmTotals jvm = EdgeProcess.JvmTotals.NONE;

        void add(Slice s) {
            result = result.plus(s.result);
            cpuSeconds += s.cpuSeconds;
            wallSeconds += s.wallSeconds;
            jvm = jvm.plus(s.jvm);
        }
    }

    /** A set of rounds: every route's tally, and the machine's steal during them. */
    private static final class Tally {
        final List<RouteTally> tallies = new ArrayList<>();
        double stealPercentSum;
        int rounds;

        Tally(int routeCount) {
            for (int i = 0; i < routeCount; i++) {
                tallies.add(new RouteTally());
            }
        }

        void add(List<Slice> round, double stealPercent) {
            for (int i = 0; i < round.size(); i++) {
                tallies.get(i).add(round.get(i));
                Histogram h = round.get(i).result().latencyMicros();
                double[] ms = new double[PERCENTILES.length];
                for (int p = 0; p < PERCENTILES.length; p++) {
                    ms[p] = millis(h, PERCENTILES[p]);
                }
                tallies.get(i).percentilesPerRound.add(ms);
            }
            stealPercentSum += stealPercent;
            rounds++;
        }

        void print(String kind, int rate, String label, List<Route> paths, List<Comparison> comparisons)
                throws Exception {
            String steal = String.format("%.0f", stealPercentSum / Math.max(1, rounds));
            for (int i = 0; i < paths.size(); i++) {
                RouteTally t = tallies.get(i);
                Route route = paths.get(i);
                if (route.role() == Role.DIRECT) {
                    row(kind, rate, route.name() + label, t.result, "", "", "", "", steal);
                    continue;
                }
                long calls = t.result.ok() + t.result.errors();
                String cpu = String.format("%.0f", t.cpuSeconds / t.wallSeconds * 100);
                String rss = String.format("%.0f", ProcessStats.rssMiB(route.process()));
                if (route.edge() == null) {
                    row(kind, rate, route.name() + label, t.result, cpu, rss, "", "", steal);
                } else {
                    row(kind, rate, route.name() + label, t.result, cpu, rss,
                            String.format("%.1f", t.jvm.allocatedBytes() / 1024 / Math.max(1, calls)),
                            String.format("%d (%.0f)", t.jvm.gcPauses(), t.jvm.gcPauseSeconds() * 1000), steal);
                }
            }
            // Each comparison over all calls, and as the median over the rounds of each round's
            // difference (a burst that lands on one slice moves the first a lot and the second little).
            for (Comparison c : comparisons) {
                added(kind, rate, paths.get(c.route()).name(), paths.get(c.base()).name(), label, c.route(), c.base());
            }
        }

        private void added(String kind, int rate, String name, String baseName, String label, int route, int base) {
            OpenLoopLoad.Result a = tallies.get(route).result;
            OpenLoopLoad.Result b = tallies.get(base).result;
            System.out.printf("| %s | %d | **%s minus %s**%s | %s | %s | %s | | | | | | | | |%n", kind, rate, name, baseName,
                    label, diff(a, b, 50), diff(a, b, 99), diff(a, b, 99.9));
            List<double[]> ra = tallies.get(route).percentilesPerRound;
            List<double[]> rb = tallies.get(base).percentilesPerRound;
            String[] medians = new String[PERCENTILES.length];
            for (int p = 0; p < PERCENTILES.length; p++) {
                double[] d = new double[ra.size()];
                for (int r = 0; r < d.length; r++) {
                    d[r] = ra.get(r)[p] - rb.get(r)[p];
                }
                medians[p] = String.format("%+.3f", median(d));
            }
            System.out.printf("| %s | %d | %s minus %s%s, median of the %d rounds | %s | %s | %s | | | | | | | | |%n", kind, rate,
                    name, baseName, label, ra.size(), medians[0], medians[1], medians[2]);
        }
    }

    /**
     * Every route at one rate, in rounds of one-second slices, one per route, in an order that
     * changes each round (see {@link #place}), so that all meet the same machine: on a shared host
     * a burst of stolen CPU would otherwise land on one route's run and not another's. With
     * {@code maxSteal} > 0 the rounds during which the hypervisor stole at most that share of the
     * CPU are also reported on their own, and rounds are added (up to four times {@code seconds})
     * until {@code seconds} of them are quiet.
     */
    private static void measure(String kind, int rate, int seconds, double maxSteal, List<Route> routes,
            List<Comparison> comparisons) throws Exception {
        int n = routes.size();
        Tally all = new Tally(n);
        Tally quiet = new Tally(n);
        int maxRounds = maxSteal > 0 ? 4 * seconds : seconds;
        while (all.rounds < maxRounds && (maxSteal > 0 ? quiet.rounds < seconds : all.rounds < seconds)) {
            List<EdgeProcess.JvmTotals> jvm0 = new ArrayList<>();
            for (Route r : routes) {
                jvm0.add(r.edge() == null ? null : r.edge().jvm());
            }
            ProcessStats.MachineTicks ticks0 = ProcessStats.MachineTicks.now();
            OpenLoopLoad.Result[] results = new OpenLoopLoad.Result[n];
            double[] cpu = new double[n];
            double[] wall = new double[n];
            for (int turn = 0; turn < n; turn++) {
                int i = place(all.rounds, turn, n);
                Process proxy = routes.get(i).process();
                double cpu0 = proxy == null ? 0 : ProcessStats.cpuSeconds(proxy);
                long t0 = System.nanoTime();
                results[i] = routes.get(i).load().run(rate, 1000);
                wall[i] = (System.nanoTime() - t0) / 1e9;
                cpu[i] = proxy == null ? 0 : ProcessStats.cpuSeconds(proxy) - cpu0;
            }
            double steal = ProcessStats.MachineTicks.now().stealPercentSince(ticks0);
            List<Slice> round = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                EdgeProcess edge = routes.get(i).edge();
                round.add(new Slice(results[i], cpu[i], wall[i],
                        edge == null ? EdgeProcess.JvmTotals.NONE : edge.jvm().minus(jvm0.get(i))));
            }
            all.add(round, steal);
            if (maxSteal > 0 && steal <= maxSteal) {
                quiet.add(round, steal);
            }
        }
        all.print(kind, rate, maxSteal > 0 ? ", all " + all.rounds + " s" : "", routes, comparisons);
        if (maxSteal > 0) {
            if (quiet.rounds == 0) {
                System.out.printf("| %s | %d | no quiet round (steal ≤ %.0f %%) in %d s | | | | | | | | | | | |%n", kind, rate,
                        maxSteal, all.rounds);
            } else {
                quiet.print(kind, rate, String.format(", quiet %d s (steal ≤ %.0f %%)", quiet.rounds, maxSteal), routes,
                        comparisons);
            }
        }
    }

    /**
     * Which route takes place {@code turn} in round {@code round}: the rows of a Williams square
     * (first row 0, 1, n-1, 2, n-2, ...; each next row adds one to every entry), then the same
     * rows backwards. Over every 2n rounds each route takes each place twice and follows each
     * other route exactly twice, for any number of routes: what one route leaves behind (a GC, its
     * shipper's work) falls on every other route's slice equally often. (Plain rotations, as
     * used before, balance that only up to three routes; with five, the edge was only ever
     * followed by two of the other four.)
     */
    static int place(int round, int turn, int n) {
        int r = round % (2 * n);
        int column = r < n ? turn : n - 1 - turn;
        int first = column == 0 ? 0 : column % 2 == 1 ? (column + 1) / 2 : n - column / 2;
        return (first + r % n) % n;
    }

    private static void row(String kind, int rate, String path, OpenLoopLoad.Result r, String cpu, String rss,
            String allocated, String gc, String steal) {
        Histogram h = r.latencyMicros();
        System.out.printf("| %s | %d | %s | %s | %s | %s | %s | %d | %d | %s | %s | %s | %s | %s |%n", kind, rate, path,
                ms(h, 50), ms(h, 99), ms(h, 99.9), String.format("%.2f", h.getMaxValue() / 1000.0), r.ok(), r.errors(),
                cpu, rss, allocated, gc, steal);
    }

    private static String ms(Histogram h, double percentile) {
        return String.format("%.3f", millis(h, percentile));
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        return v.length == 0 ? 0 : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String diff(OpenLoopLoad.Result a, OpenLoopLoad.Result b, double percentile) {
        return String.format("%+.3f", millis(a.latencyMicros(), percentile) - millis(b.latencyMicros(), percentile));
    }

    /** A latency histogram's value at {@code percentile}, recorded in microseconds, in ms. */
    private static double millis(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }

    /**
     * {@code java} with {@code javaOpts}, under {@code taskset} when {@code BENCH_EDGE_CPUS} says
     * (e.g. "1": the proxies alone on that core).
     */
    private static List<String> javaCommand(String javaOpts) {
        List<String> cmd = new ArrayList<>(pinning());
        cmd.add(javaBinary());
        cmd.addAll(List.of(javaOpts.split("\\s+")));
        return cmd;
    }

    /** {@code taskset -c CPUS} when {@code BENCH_EDGE_CPUS} says, for every proxy (nginx too); else nothing. */
    private static List<String> pinning() {
        String cpus = System.getenv("BENCH_EDGE_CPUS");
        return cpus == null || cpus.isBlank() ? List.of() : List.of("taskset", "-c", cpus.trim());
    }

    /** The {@code java} this bench runs on. */
    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** This jar (or the classes directory): the relay and the broker are started from it. */
    private static String benchClasspath() throws Exception {
        return Path.of(EdgeOverheadBench.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /**
     * Starts the relay from this jar with the edge's default flags (not {@code BENCH_EDGE_JAVA_OPTS},
     * which may name a recording file), and waits until it accepts connections.
     */
    private static Process startRelay(int port, URI upstream) throws Exception {
        List<String> cmd = javaCommand(EDGE_JAVA_OPTS);
        cmd.addAll(List.of("-cp", benchClasspath(), RelayProxy.class.getName(), Integer.toString(port), upstream.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return ChildProcesses.awaitListening(pb.start(), port, "relay");
    }

    private static Process startEdge(Path jar, String javaOpts, int port, URI upstream, String bootstrap, Path spool,
            String edgeId) throws Exception {
        List<String> cmd = javaCommand(javaOpts);
        cmd.addAll(List.of("-jar", jar.toString(), "edge"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PROXY_PORT", Integer.toString(port));
        pb.environment().put("ANTHROPIC_API_URL", upstream.toString());
        pb.environment().put("ANTHROPIC_API_KEY", "sk-ant-bench");
        pb.environment().put("PROXY_SHARED_SECRET", SECRET);
        pb.environment().put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        pb.environment().put("PROXY_SPOOL_DIR", spool.toString());
        pb.environment().put("PROXY_EDGE_ID", edgeId);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Path log = Files.createTempFile("bench-edge", ".log");
        pb.redirectError(log.toFile());
        Process p = pb.start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("edge (" + jar + ", " + javaOpts + ") exited with " + p.exitValue()
                        + "; its log: " + log);
            }
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
        throw new IllegalStateException("edge did not become ready in 60 s; its log: " + log);
    }
}
