package dev.metering.edge.events;

import java.io.IOException;

import dev.metering.edge.spool.Spool;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.event.UsageEventCodec;

/**
 * Where the proxy hands each call's usage event: it is appended to the spool on the caller's
 * thread, one write into the page cache (see {@link Spool#append}). The {@link EventShipper} takes
 * it to Kafka from there.
 */
public final class UsageEmitter {
    private final Spool spool;
    private final EventMetrics metrics;

    public UsageEmitter(Spool spool, EventMetrics metrics) {
        this.spool = spool;
        this.metrics = metrics;
    }

    /** @throws dev.metering.edge.spool.SpoolFullException when new calls must be refused */
    public void checkCapacity() {
        spool.checkCapacity();
    }

    /**
     * Returns once {@code event} is in the spool.
     *
     * @throws IOException when it cannot be written there (nor can any later event)
     * @throws IllegalStateException when the spool is closed
     */
    public void emit(UsageEvent event) throws IOException {
        spool.append(UsageEventCodec.encode(event));
        metrics.spooled();
    }
}
