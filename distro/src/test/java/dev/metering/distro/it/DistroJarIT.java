package dev.metering.distro.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.metering.infra.Directories;
import dev.metering.infra.FreePorts;

/**
 * The built {@code metering.jar} as a user runs it, in its own process: {@code dev} starts
 * everything and prints curl commands that work, a streaming call shows up in the summary within
 * 2 seconds, Ctrl-C leaves no process behind, and a second start keeps the usage.
 */
class DistroJarIT {
    private static final Path JAR = Path.of("target", "metering.jar").toAbsolutePath();
    private Path dataDir;

    @BeforeEach
    void dataDir() throws IOException {
        dataDir = Files.createTempDirectory("metering-dev");
    }

    @AfterEach
    void cleanUp() {
        Directories.deleteRecursively(dataDir);
    }

    @Test
    void devStartsEverythingPrintsWorkingCurlCommandsStopsCleanlyAndKeepsUsage() throws Exception {
        assertThat(JAR).exists();
        int edgePort = FreePorts.pick();
        List<String> args = List.of("dev", "--data-dir", dataDir.toString(), "--kafka-port", Integer.toString(FreePorts.pick()),
                "--postgres-port", Integer.toString(FreePorts.pick()));
        Map<String, String> env = Map.of("PROXY_PORT", Integer.toString(edgePort));

        Dev first = Dev.start(args, env);
        try {
            List<String> curls = first.banner.stream().filter(l -> l.startsWith("curl ")).toList();
            assertThat(curls).hasSizeGreaterThanOrEqualTo(4);
            String stream = curls.stream().filter(c -> c.contains("/v1/messages")).findFirst().orElseThrow();
            String summary = curls.stream().filter(c -> c.contains("/usage/summary")).findFirst().orElseThrow();

            Shell streamed = Shell.run(stream);
            assertThat(streamed.exit).isZero();
            assertThat(streamed.out).contains("event: message_start").contains("event: message_stop");
            long t0 = System.nanoTime();
            String seen = "";
            while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2) && !seen.contains("\"userId\":\"demo\"")) {
                seen = Shell.run(summary).out;
            }
            assertThat(seen).as("the streaming call in /usage/summary within 2 s").contains("\"userId\":\"demo\"");
            for (String curl : curls) {
                Shell r = Shell.run(curl);
                assertThat(r.exit).as(curl).isZero();
                assertThat(r.out).as(curl).isNotBlank().doesNotContain("\"type\":\"error\"");
            }
            String metrics = curls.stream().filter(c -> c.endsWith("/metrics")).findFirst().orElseThrow();
            assertThat(Shell.run(metrics).out).as("the JVM's own metrics beside the edge's")
                    .contains("proxy_api_calls_total", "jvm_memory_used_bytes", "jvm_gc_memory_allocated_bytes_total",
                            "jvm_threads_live_threads", "process_cpu_usage", "process_uptime_seconds");
        } finally {
            first.ctrlC();
        }
        assertThat(first.process.exitValue()).isIn(0, 130);
        assertThat(processesUsing(dataDir)).as("nothing left behind").isEmpty();

        Dev second = Dev.start(args, env);
        try {
            String summary = second.banner.stream().filter(l -> l.startsWith("curl ") && l.contains("/usage/summary"))
                    .findFirst().orElseThrow();
            assertThat(Shell.run(summary).out).as("usage kept across restarts").contains("\"userId\":\"demo\"");
        } finally {
            second.ctrlC();
        }
        assertThat(processesUsing(dataDir)).isEmpty();
    }

    @Test
    void aBadEnvironmentValueStopsTheStartWithExitCodeTwoNamingTheVariable() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(java(), "-jar", JAR.toString(), "dev", "--data-dir", dataDir.toString());
        pb.environment().put("PROXY_PORT", "eighty");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(out).contains("PROXY_PORT: \"eighty\" (expected: a port number 0-65535)");
    }

    @Test
    void infraOnlyPrintsWhereKafkaAndPostgresqlAre() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(java(), "-jar", JAR.toString(), "dev", "--infra-only", "--data-dir",
                dataDir.toString(), "--kafka-port", Integer.toString(FreePorts.pick()), "--postgres-port",
                Integer.toString(FreePorts.pick()));
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            List<String> lines = CompletableFuture.supplyAsync(() -> {
                List<String> got = new ArrayList<>();
                try {
                    String line;
                    while (got.size() < 2 && (line = out.readLine()) != null) {
                        got.add(line);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                return got;
            }).get(120, TimeUnit.SECONDS);
            assertThat(lines.get(0)).matches("KAFKA_BOOTSTRAP_SERVERS=127\\.0\\.0\\.1:\\d+");
            assertThat(lines.get(1)).matches("PROXY_DATABASE_URL=postgresql://postgres@127\\.0\\.0\\.1:\\d+/metering");
        } finally {
            Dev.interrupt(p);
        }
        assertThat(processesUsing(dataDir)).isEmpty();
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Processes (other than this JVM) whose command line mentions {@code dir}: postgres, a stray JVM. */
    static List<String> processesUsing(Path dir) {
        return ProcessHandle.allProcesses()
                .filter(ph -> ph.pid() != ProcessHandle.current().pid())
                .map(ph -> ph.info().commandLine().orElse(""))
                .filter(cmd -> cmd.contains(dir.toString()))
                .toList();
    }

    /** A running {@code dev}. */
    private static final class Dev {
        final Process process;
        final List<String> banner;

        private Dev(Process process, List<String> banner) {
            this.process = process;
            this.banner = banner;
        }

        static Dev start(List<String> args, Map<String, String> env) throws Exception {
            List<String> cmd = new ArrayList<>(List.of(java(), "-jar", JAR.toString()));
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().putAll(env);
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            Process p = pb.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            List<String> banner = CompletableFuture.supplyAsync(() -> {
                List<String> lines = new ArrayList<>();
                try {
                    String line;
                    boolean ready = false;
                    while ((line = out.readLine()) != null) {
                        ready |= line.equals("metering dev is ready");
                        if (ready) {
                            lines.add(line);
                        }
                        if (line.startsWith("Ctrl-C stops everything")) {
                            return lines;
                        }
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                throw new IllegalStateException("dev exited before it was ready: " + lines);
            }).get(180, TimeUnit.SECONDS);
            return new Dev(p, banner);
        }

        void ctrlC() throws Exception {
            interrupt(process);
        }

        /** What Ctrl-C sends: SIGINT, then wait for a clean exit. */
        static void interrupt(Process p) throws Exception {
            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor(10, TimeUnit.SECONDS);
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("dev did not stop within 90 s of Ctrl-C");
            }
        }
    }

    /** A command line run by bash, as a user pastes it. */
    private record Shell(int exit, String out) {
        static Shell run(String commandLine) throws Exception {
            Process p = new ProcessBuilder("bash", "-c", commandLine).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + commandLine);
            }
            return new Shell(p.exitValue(), out);
        }
    }
}
