package dev.metering.edge.events;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.metering.edge.spool.Spool;
import dev.metering.model.event.InvalidEventException;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.event.UsageEventCodec;
import dev.metering.model.event.UsageEventRecords;

/**
 * Delivers the spool to Kafka, in order, at least once. It reads a batch from the last
 * acknowledged position, sends it through the idempotent producer, and acknowledges the batch in
 * the spool only when Kafka acknowledged every record of it; otherwise it backs off and resends
 * the batch (the consumer dedupes on the event id). Runs on its own thread: a slow or absent
 * broker never reaches the event loops.
 */
public final class EventShipper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventShipper.class);
    private static final int MAX_BATCH_RECORDS = 5000;
    private static final int MAX_BATCH_BYTES = 4 * 1024 * 1024;
    private static final long MAX_BACKOFF_MS = 5000;

    private final Spool spool;
    private final Producer<String, byte[]> producer;
    private final String topic;
    private final EventMetrics metrics;
    private final Duration sendTimeout;
    private volatile DeliveryListener deliveries = (event, partition, offset) -> { };
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean kafkaHealthy;
    private volatile Throwable lastFailure;

    public EventShipper(Spool spool, Producer<String, byte[]> producer, String topic, EventMetrics metrics,
            Duration sendTimeout) {
        this.spool = spool;
        this.producer = producer;
        this.topic = topic;
        this.metrics = metrics;
        this.sendTimeout = sendTimeout;
        this.thread = new Thread(this::run, "event-shipper");
        this.thread.setDaemon(true);
    }

    /** Told of every event Kafka stored, with where (the quota cache uses it). */
    public void onDelivered(DeliveryListener listener) {
        this.deliveries = listener;
    }

    /** Where Kafka stored an event. */
    @FunctionalInterface
    public interface DeliveryListener {
        void delivered(UsageEvent event, int partition, long offset);
    }

    public void start() {
        thread.start();
    }

    /** Whether the last delivery attempt succeeded; for the readiness view. */
    public boolean kafkaHealthy() {
        return kafkaHealthy;
    }

    /** The last delivery failure, or null. */
    public Throwable lastFailure() {
        return lastFailure;
    }

    private void run() {
        long backoff = 100;
        long pos = spool.ackedPosition();
        while (running) {
            Spool.Batch batch;
            try {
                batch = spool.read(pos, MAX_BATCH_RECORDS, MAX_BATCH_BYTES, 50);
            } catch (IOException e) {
                log.error("spool cannot be read at {}; retrying", pos, e);
                lastFailure = e;
                kafkaHealthy = false;
                sleep(MAX_BACKOFF_MS);
                continue;
            }
            if (batch.isEmpty()) {
                continue;
            }
            if (deliver(batch)) {
                pos = batch.endPos();
                spool.acknowledge(pos);
                kafkaHealthy = true;
                backoff = 100;
            } else {
                kafkaHealthy = false;
                sleep(backoff);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
            }
        }
    }

    private boolean deliver(Spool.Batch batch) {
        List<Future<RecordMetadata>> sent = new ArrayList<>(batch.payloads().size());
        List<UsageEvent> events = new ArrayList<>(batch.payloads().size());
        try {
            for (byte[] payload : batch.payloads()) {
                UsageEvent event;
                try {
                    event = UsageEventCodec.decode(payload);
                } catch (InvalidEventException e) {
                    // Cannot happen for records this edge wrote; never block delivery on one.
                    log.error("spool record is not a valid usage event ({}); skipped", e.reason());
                    metrics.failed(1);
                    continue;
                }
                sent.add(producer.send(UsageEventRecords.toRecord(topic, event, payload)));
                events.add(event);
            }
            long deadline = System.nanoTime() + sendTimeout.toNanos();
            List<RecordMetadata> stored = new ArrayList<>(sent.size());
            for (Future<RecordMetadata> f : sent) {
                stored.add(f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            metrics.produced(sent.size());
            for (int i = 0; i < stored.size(); i++) {
                deliveries.delivered(events.get(i), stored.get(i).partition(), stored.get(i).offset());
            }
            return true;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            lastFailure = cause;
            metrics.failed(batch.payloads().size());
            log.warn("delivering {} events to {} failed ({}); they stay spooled and will be resent",
                    batch.payloads().size(), topic, cause.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits until everything spooled so far reached Kafka, or the timeout passed.
     *
     * @return whether the spool was fully delivered
     */
    public boolean drain(Duration timeout) {
        long target = spool.writtenPosition();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (spool.ackedPosition() < target && System.nanoTime() < deadline && thread.isAlive()) {
            sleep(10);
        }
        return spool.ackedPosition() >= target;
    }

    /** Stops delivering; what was not delivered stays in the spool for the next start. */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(2));
            if (thread.isAlive()) {
                thread.interrupt(); // stuck waiting on an absent broker
                thread.join(TimeUnit.SECONDS.toMillis(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
