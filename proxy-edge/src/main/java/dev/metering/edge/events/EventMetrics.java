package dev.metering.edge.events;

import java.util.function.LongSupplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** Counters of the event path: spooled, produced (acknowledged by Kafka) and failed sends. */
public final class EventMetrics {
    private final Counter spooled;
    private final Counter produced;
    private final Counter failed;

    public EventMetrics(MeterRegistry registry, LongSupplier pendingBytes) {
        this.spooled = Counter.builder("proxy_events_spooled").description("Usage events appended to the local spool")
                .register(registry);
        this.produced = Counter.builder("proxy_events_produced")
                .description("Usage events acknowledged by Kafka").register(registry);
        this.failed = Counter.builder("proxy_events_failed")
                .description("Usage event deliveries that failed and will be retried").register(registry);
        Gauge.builder("proxy_spool_pending_bytes", pendingBytes::getAsLong)
                .description("Spooled bytes not yet acknowledged by Kafka").register(registry);
    }

    void spooled() {
        spooled.increment();
    }

    void produced(int n) {
        produced.increment(n);
    }

    void failed(int n) {
        failed.increment(n);
    }
}
