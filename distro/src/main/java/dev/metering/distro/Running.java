package dev.metering.distro;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a command's components running until SIGTERM or SIGINT, then closes them in the reverse
 * order of their start, each once.
 */
final class Running {
    private static final Logger log = LoggerFactory.getLogger(Running.class);

    private final List<AutoCloseable> started = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** Ctrl-C while components are still starting closes what has started. */
    Running() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::closeAll, "metering-shutdown"));
    }

    <T extends AutoCloseable> T add(T component) {
        started.add(component);
        return component;
    }

    /** Blocks until the process is asked to stop and everything is closed. */
    void untilStopped() throws InterruptedException {
        stopped.await();
    }

    /** Closes what was started so far, newest first; for a start that failed half-way. */
    void closeAll() {
        List<AutoCloseable> reversed;
        synchronized (started) {
            reversed = new ArrayList<>(started);
            started.clear();
        }
        Collections.reverse(reversed);
        for (AutoCloseable c : reversed) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("{} did not close cleanly: {}", c.getClass().getSimpleName(), e.toString());
            }
        }
        stopped.countDown();
    }
}
