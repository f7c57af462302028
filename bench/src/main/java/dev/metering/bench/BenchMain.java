package dev.metering.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar bench/target/bench.jar <suite> [options]}: prints figures as Markdown tables.
 * Suites: {@code edge}, {@code ingest}, {@code pipeline}, {@code jmh}, {@code all}; each has
 * {@code --help}. No thresholds here: the figures go to BENCHMARKS.md beside the command that
 * produced them.
 */
@Command(name = "bench.jar", mixinStandardHelpOptions = true,
        description = "Benchmarks of the edge and the pipeline; prints Markdown tables, asserts nothing.",
        subcommands = {BenchMain.Edge.class, BenchMain.Ingest.class, BenchMain.Pipeline.class, BenchMain.Jmh.class,
            BenchMain.All.class})
public final class BenchMain implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a suite: edge, ingest, pipeline, jmh or all");
    }

    @Command(name = "edge", mixinStandardHelpOptions = true,
            description = "Edge overhead: open-loop load straight to a fast upstream, through a relay, and through the edge, in turns.")
    static final class Edge implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--kinds", split = ",", defaultValue = "json,stream", description = "json and/or stream (default: ${DEFAULT-VALUE})")
        List<String> kinds;

        @Option(names = "--rates", split = ",", defaultValue = "500,1000,2000,4000", description = "arrival rates, calls/s (default: ${DEFAULT-VALUE})")
        List<Integer> rates;

        @Option(names = "--seconds", defaultValue = "10", description = "seconds per path and rate, in 1 s slices (default: ${DEFAULT-VALUE})")
        int seconds;

        @Option(names = "--max-steal", defaultValue = "0",
                description = "also report the rounds in which the hypervisor stole at most this %% of the CPU; 0: all rounds only (default: ${DEFAULT-VALUE})")
        double maxSteal;

        @Option(names = "--jar", defaultValue = "distro/target/metering.jar", description = "the metering.jar whose edge is measured (default: ${DEFAULT-VALUE})")
        Path jar;

        @Option(names = "--versus-jar", description = "another metering.jar, run as a second edge in the same rounds")
        Path versusJar;

        @Option(names = "--versus-opts", defaultValue = "", description = "JVM flags for a second edge in the same rounds, replacing the edge's own")
        String versusOpts;

        @Option(names = "--control", description = "also run a second direct path, identical to the first, in every round: "
                + "its difference from direct is what the machine alone moves the figures by")
        boolean control;

        @Option(names = "--nginx", description = "an nginx binary (e.g. /usr/sbin/nginx): adds nginx as a reverse proxy, a second baseline path")
        Path nginx;

        @Override
        public Integer call() throws Exception {
            for (String kind : kinds) {
                if (!kind.equals("json") && !kind.equals("stream")) {
                    throw new ParameterException(spec.commandLine(), "--kinds takes json and/or stream, not '" + kind + "'");
                }
            }
            for (int rate : rates) {
                positive(spec, "--rates", rate);
            }
            positive(spec, "--seconds", seconds);
            if (maxSteal < 0 || maxSteal > 100) {
                throw new ParameterException(spec.commandLine(), "--max-steal takes a percentage, 0-100, not " + maxSteal);
            }
            readableJar(spec, "--jar", jar);
            if (versusJar != null) {
                readableJar(spec, "--versus-jar", versusJar);
            }
            if (nginx != null && !(Files.isRegularFile(nginx) && Files.isExecutable(nginx))) {
                throw new ParameterException(spec.commandLine(), "--nginx takes the path of an nginx binary; " + nginx
                        + " is not an executable file (Debian: apt-get install nginx-light, then /usr/sbin/nginx)");
            }
            machine();
            EdgeOverheadBench.run(new EdgeOverheadBench.Options(jar, kinds, rates, seconds, maxSteal, versusOpts, versusJar,
                    control, nginx));
            return 0;
        }
    }

    @Command(name = "ingest", mixinStandardHelpOptions = true,
            description = "Ingestion: events/s from a filled topic into ledger and rollups, against one INSERT per event.")
    static final class Ingest implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--events", defaultValue = "300000", description = "events in the topic (default: ${DEFAULT-VALUE})")
        int events;

        @Option(names = "--warmup", description = "events of the warm-up pass, not counted (default: as many as --events)")
        Integer warmup;

        @Option(names = "--baseline", defaultValue = "20000", description = "events for the one-INSERT-per-event baseline (default: ${DEFAULT-VALUE})")
        int baseline;

        @Option(names = "--threads", defaultValue = "2", description = "the consumer's batch loops (default: ${DEFAULT-VALUE})")
        int threads;

        @Option(names = "--batch", defaultValue = "5000", description = "most events in a batch (default: ${DEFAULT-VALUE})")
        int batch;

        @Option(names = "--passes", defaultValue = "3", description = "measured passes (default: ${DEFAULT-VALUE})")
        int passes;

        @Override
        public Integer call() throws Exception {
            positive(spec, "--events", events);
            positive(spec, "--baseline", baseline);
            positive(spec, "--threads", threads);
            positive(spec, "--batch", batch);
            positive(spec, "--passes", passes);
            int warm = warmup == null ? events : warmup;
            positive(spec, "--warmup", warm);
            machine();
            IngestionBench.run(new IngestionBench.Options(events, warm, baseline, threads, batch, passes));
            return 0;
        }
    }

    @Command(name = "pipeline", mixinStandardHelpOptions = true,
            description = "Freshness (event produced to visible in /usage/summary) and quota propagation (POST /quotas to enforced).")
    static final class Pipeline implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--seconds", defaultValue = "20", description = "seconds of steady load (default: ${DEFAULT-VALUE})")
        int seconds;

        @Option(names = "--rate", defaultValue = "1000", description = "events/s of steady load (default: ${DEFAULT-VALUE})")
        int rate;

        @Option(names = "--samples", defaultValue = "100", description = "quota changes timed (default: ${DEFAULT-VALUE})")
        int samples;

        @Override
        public Integer call() throws Exception {
            positive(spec, "--seconds", seconds);
            positive(spec, "--rate", rate);
            positive(spec, "--samples", samples);
            machine();
            PipelineBench.run(seconds, rate, samples);
            return 0;
        }
    }

    @Command(name = "jmh", mixinStandardHelpOptions = true,
            description = "JMH microbenchmarks of the hot path: SSE parsing, key verification, cost, event encoding.")
    static final class Jmh implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            machine();
            jmh();
            return 0;
        }
    }

    @Command(name = "all", mixinStandardHelpOptions = true,
            description = "Every suite in turn, each with its defaults (run a suite by name to change them).")
    static final class All implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            CommandLine cli = new CommandLine(new BenchMain());
            for (String suite : List.of("edge", "ingest", "pipeline", "jmh")) {
                int code = cli.execute(suite);
                if (code != 0) {
                    return code;
                }
            }
            return 0;
        }
    }

    private static void jmh() throws Exception {
        System.out.println();
        System.out.println("## JMH (ns/op, average time)");
        org.openjdk.jmh.Main.main(new String[] {"dev.metering.bench.jmh.HotPathBenchmarks", "-rf", "text", "-rff",
                "/tmp/jmh-result.txt"});
    }

    private static void positive(CommandLine.Model.CommandSpec spec, String option, int value) {
        if (value <= 0) {
            throw new ParameterException(spec.commandLine(), option + " takes a number above 0, not " + value);
        }
    }

    private static void readableJar(CommandLine.Model.CommandSpec spec, String option, Path jar) {
        if (!Files.isRegularFile(jar) || !Files.isReadable(jar)) {
            throw new ParameterException(spec.commandLine(), option + " takes the path of a metering.jar, and "
                    + jar.toAbsolutePath() + " is not a readable file (build it with ./mvnw -q -DskipTests package)");
        }
    }

    private static void machine() {
        Runtime rt = Runtime.getRuntime();
        System.out.printf("# Machine: %d cores, %.0f GiB max heap here, %s %s, Java %s (%s)%n", rt.availableProcessors(),
                rt.maxMemory() / 1073741824.0, System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("java.version"), System.getProperty("java.vm.name"));
    }
}
