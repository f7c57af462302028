package dev.metering.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * {@code java -jar bench/target/bench.jar <suite> [options]}: prints figures as Markdown tables.
 * Suites: {@code edge}, {@code ingest}, {@code pipeline}, {@code jmh}, {@code all}. No thresholds
 * here: the figures go to BENCHMARKS.md beside the command that produced them.
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        String suite = args.length == 0 ? "all" : args[0];
        List<String> opts = Arrays.asList(args);
        machine();
        switch (suite) {
            case "edge" -> edge(opts);
            case "ingest" -> ingest(opts);
            case "pipeline" -> pipeline(opts);
            case "jmh" -> jmh();
            case "all" -> {
                edge(opts);
                ingest(opts);
                pipeline(opts);
                jmh();
            }
            default -> {
                System.err.println("usage: bench.jar edge|ingest|pipeline|jmh|all [--kinds json,stream] [--rates 500,1000,2000,4000] "
                        + "[--seconds 10] [--max-steal 5] [--versus-opts 'JVM FLAGS'] [--versus-jar OTHER.jar] [--jar distro/target/metering.jar] [--events 300000] [--baseline 20000] "
                        + "[--warmup EVENTS] [--threads 2] [--batch 5000] [--passes 3] [--rate 1000] [--samples 100]");
                System.exit(2);
            }
        }
        System.exit(0);
    }

    private static void edge(List<String> opts) throws Exception {
        List<Integer> rates = Arrays.stream(opt(opts, "--rates", "500,1000,2000,4000").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        List<String> kinds = Arrays.stream(opt(opts, "--kinds", "json,stream").split(",")).map(String::trim).toList();
        for (String kind : kinds) {
            if (!kind.equals("json") && !kind.equals("stream")) {
                throw new IllegalArgumentException("--kinds takes json and/or stream, not " + kind);
            }
        }
        Path versusJar = null;
        if (opts.contains("--versus-jar")) {
            String jar = opt(opts, "--versus-jar", "");
            if (jar.isBlank() || jar.startsWith("--") || !Files.isRegularFile(Path.of(jar))) {
                throw new IllegalArgumentException("--versus-jar takes the path of another metering.jar, not '" + jar + "'");
            }
            versusJar = Path.of(jar);
        }
        EdgeOverheadBench.run(Path.of(opt(opts, "--jar", "distro/target/metering.jar")), kinds, rates,
                Integer.parseInt(opt(opts, "--seconds", "10")), Double.parseDouble(opt(opts, "--max-steal", "0")),
                opt(opts, "--versus-opts", ""), versusJar);
    }

    private static void ingest(List<String> opts) throws Exception {
        int events = Integer.parseInt(opt(opts, "--events", "300000"));
        IngestionBench.run(new IngestionBench.Options(events,
                Integer.parseInt(opt(opts, "--warmup", String.valueOf(events))),
                Integer.parseInt(opt(opts, "--baseline", "20000")), Integer.parseInt(opt(opts, "--threads", "2")),
                Integer.parseInt(opt(opts, "--batch", "5000")), Integer.parseInt(opt(opts, "--passes", "3"))));
    }

    private static void pipeline(List<String> opts) throws Exception {
        PipelineBench.run(Integer.parseInt(opt(opts, "--seconds", "20")), Integer.parseInt(opt(opts, "--rate", "1000")),
                Integer.parseInt(opt(opts, "--samples", "100")));
    }

    private static void jmh() throws Exception {
        System.out.println();
        System.out.println("## JMH (ns/op, average time)");
        org.openjdk.jmh.Main.main(new String[] {"dev.metering.bench.jmh.HotPathBenchmarks", "-rf", "text", "-rff",
                "/tmp/jmh-result.txt"});
    }

    private static String opt(List<String> opts, String name, String fallback) {
        int i = opts.indexOf(name);
        return i >= 0 && i + 1 < opts.size() ? opts.get(i + 1) : fallback;
    }

    private static void machine() {
        Runtime rt = Runtime.getRuntime();
        System.out.printf("# Machine: %d cores, %.0f GiB max heap here, %s %s, Java %s (%s)%n", rt.availableProcessors(),
                rt.maxMemory() / 1073741824.0, System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("java.version"), System.getProperty("java.vm.name"));
    }
}
