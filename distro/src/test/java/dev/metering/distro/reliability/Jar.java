package dev.metering.distro.reliability;

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
import java.util.function.Predicate;

/** A {@code metering.jar} command in its own process, as operators run it. */
final class Jar implements AutoCloseable {
    static final Path JAR = Path.of("target", "metering.jar").toAbsolutePath();

    final Process process;
    final List<String> output;

    private Jar(Process process, List<String> output) {
        this.process = process;
        this.output = output;
    }

    /** Starts {@code args} with {@code env} and waits until a line of stdout or stderr satisfies {@code ready}. */
    static Jar start(List<String> args, Map<String, String> env, Predicate<String> ready) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-jar", JAR.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Boolean> seen = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                    if (ready.test(line)) {
                        seen.complete(true);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
            seen.complete(false);
        }, "jar-output");
        reader.setDaemon(true);
        reader.start();
        if (!seen.get(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            Path log = Files.createTempFile("jar-failed", ".log");
            Files.write(log, lines);
            throw new IllegalStateException(args + " exited before it was ready; output in " + log);
        }
        return new Jar(p, lines);
    }

    /** The output so far. */
    List<String> lines() {
        synchronized (output) {
            return List.copyOf(output);
        }
    }

    /** SIGKILL, and wait for it. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, and wait for the graceful exit. */
    void terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("did not stop within 90 s of SIGTERM");
        }
    }

    void signal(String sig) throws Exception {
        new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).start().waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            terminate();
        }
    }
}
