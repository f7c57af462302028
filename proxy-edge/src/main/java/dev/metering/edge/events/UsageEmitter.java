package dev.metering.edge.events;

import java.util.concurrent.CompletableFuture;

import dev.metering.edge.spool.Spool;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.event.UsageEventCodec;

/**
 * Where the proxy hands each call's usage event: it is appended to the spool, and the returned
 * future completes once the append is written (never blocking the caller's thread). The
 * {@link EventShipper} takes it to Kafka from there.
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

    public CompletableFuture<Void> emit(UsageEvent event) {
        return spool.append(UsageEventCodec.encode(event)).thenRun(metrics::spooled);
    }
}
