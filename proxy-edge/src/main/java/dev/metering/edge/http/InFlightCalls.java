package dev.metering.edge.http;

import java.time.Duration;

/** Counts calls in flight so that shutdown can wait for them to finish. Thread-safe. */
public final class InFlightCalls {
    private int count;

    synchronized void started() {
        count++;
    }

    synchronized void finished() {
        count--;
        if (count == 0) {
            notifyAll();
        }
    }

    public synchronized int count() {
        return count;
    }

    /** Waits until no call is in flight, or the timeout passes; returns the calls still running. */
    public synchronized int awaitZero(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return count;
    }
}
