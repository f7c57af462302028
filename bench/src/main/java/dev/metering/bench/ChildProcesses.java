package dev.metering.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Stopping and waiting for the processes the edge bench starts: its broker, the proxies, the edges. */
final class ChildProcesses {
    private ChildProcesses() {
    }

    /** Asks every process to stop, waits for them together, and kills what is still there after a minute. */
    static void stop(List<Process> processes) throws InterruptedException {
        processes.forEach(Process::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (Process p : processes) {
            if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                kill(p);
            }
        }
    }

    /** Kills a process and its children (nginx's workers outlive a killed master). */
    static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** Waits (at most 30 s) until {@code p} accepts connections on {@code port}; kills it if it does not. */
    static Process awaitListening(Process p, int port, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && p.isAlive()) {
            try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
                return p;
            } catch (java.io.IOException e) {
                Thread.sleep(100); // not listening yet
            }
        }
        kill(p);
        throw new IllegalStateException(what + " did not start listening on " + port);
    }
}
