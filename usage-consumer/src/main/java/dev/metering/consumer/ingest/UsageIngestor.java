package dev.metering.consumer.ingest;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.metering.consumer.db.LedgerWriter;
import dev.metering.model.event.InvalidEventException;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.event.UsageEventRecords;

/**
 * The batch loop: poll a bounded batch, send invalid events to the dead-letter topic, write the
 * valid ones with their offsets in one transaction, repeat. Offsets live in PostgreSQL beside
 * the rows, and each assigned partition starts from there. When PostgreSQL is away, the batch is
 * kept, the partitions are paused, and the write is retried with backoff; nothing is skipped or
 * doubled. Kafka outages are the client's business: it reconnects.
 */
public final class UsageIngestor implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(UsageIngestor.class);
    private static final long MAX_BACKOFF_MS = 5_000;

    private final Consumer<String, byte[]> consumer;
    private final LedgerWriter writer;
    private final DeadLetters deadLetters;
    private final IngestMetrics metrics;
    private final java.util.concurrent.atomic.AtomicLong lag;
    private final BatchListener listener;
    private final String topic;
    private final String groupId;
    private final Duration pollTimeout;
    private volatile boolean running = true;
    private volatile boolean failing;
    private volatile long lastPollNanos = System.nanoTime();

    public UsageIngestor(Consumer<String, byte[]> consumer, LedgerWriter writer,
            org.apache.kafka.clients.producer.Producer<String, byte[]> dlqProducer, String dlqTopic,
            IngestMetrics metrics, BatchListener listener, String topic, String groupId, Duration pollTimeout) {
        this.consumer = consumer;
        this.writer = writer;
        this.deadLetters = new DeadLetters(dlqProducer, dlqTopic);
        this.metrics = metrics;
        this.lag = metrics.lagOfOneLoop();
        this.listener = listener;
        this.topic = topic;
        this.groupId = groupId;
        this.pollTimeout = pollTimeout;
    }

    /**
     * Whether the loop is polling and its last batch was written: when not, quota heartbeats stop,
     * so that edges see their state go stale and apply their fail mode.
     */
    public boolean healthy() {
        return running && !failing && System.nanoTime() - lastPollNanos < Duration.ofSeconds(10).toNanos();
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(topic), new SeekToStoredOffsets());
        try {
            while (running) {
                try {
                    ConsumerRecords<String, byte[]> records = consumer.poll(pollTimeout);
                    lastPollNanos = System.nanoTime();
                    updateLag();
                    if (!records.isEmpty() && !writeWithRetry(Batch.of(records))) {
                        return; // stopping: the batch stays uncommitted and is read again next time
                    }
                } catch (WakeupException | org.apache.kafka.common.errors.InterruptException e) {
                    if (running) {
                        throw e;
                    }
                } catch (RuntimeException e) {
                    // Nothing of the batch was committed, so going on re-reads it from the stored offsets.
                    failing = true;
                    log.error("batch loop failed; re-reading from the stored offsets", e);
                    consumer.unsubscribe();
                    sleep(1000);
                    consumer.subscribe(List.of(topic), new SeekToStoredOffsets());
                }
            }
        } finally {
            lag.set(0); // this loop's partitions are someone else's now
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes the batch, retrying until it is written; false when stopping first. */
    private boolean writeWithRetry(Batch batch) {
        long backoff = 100;
        boolean paused = false;
        boolean deadLettered = false;
        while (running) {
            try {
                long t0 = System.nanoTime();
                if (!batch.rejected.isEmpty() && !deadLettered) {
                    deadLetters.sendAll(batch.rejected);
                    deadLettered = true;
                }
                LedgerWriter.Result r;
                try {
                    r = writer.write(batch.events, groupId, batch.offsets.values());
                } catch (SQLException e) {
                    if (!LedgerWriter.permanent(e)) {
                        throw e;
                    }
                    r = writeOneByOne(batch, e);
                }
                metrics.committed(batch.size(), r, Duration.ofNanos(System.nanoTime() - t0));
                if (!batch.rejected.isEmpty()) {
                    metrics.deadLettered(batch.rejected.size());
                    batch.rejected.forEach(x -> log.warn("invalid usage event at {}-{}@{} sent to the dead-letter "
                            + "topic: {}", x.record().topic(), x.record().partition(), x.record().offset(), x.reason()));
                }
                commitToKafka(batch);
                listener.committed(batch.watermarks());
                failing = false;
                if (paused) {
                    consumer.resume(consumer.paused());
                    log.info("batch written after a retry; consuming again");
                }
                return true;
            } catch (SQLException | ExecutionException | TimeoutException e) {
                failing = true;
                metrics.dbFailure();
                log.warn("batch of {} events not written ({}); retrying in {} ms, partitions paused", batch.size(),
                        e.toString(), backoff);
                if (!paused) {
                    consumer.pause(consumer.assignment());
                    paused = true;
                }
                keepMembershipFor(backoff);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
                return false;
            }
        }
        return false;
    }

    /**
     * PostgreSQL refused some row of the batch for good (a value it cannot store): write the
     * events one at a time, send the refused ones to the dead-letter topic, then advance the
     * offsets. Each event is deduped on its own, so a crash half-way only repeats work.
     */
    private LedgerWriter.Result writeOneByOne(Batch batch, SQLException cause)
            throws SQLException, ExecutionException, TimeoutException, InterruptedException {
        log.warn("PostgreSQL refused a row of a batch of {} ({}); writing it event by event", batch.events.size(),
                cause.getMessage());
        int inserted = 0;
        int duplicates = 0;
        boolean deduplicated = false;
        List<DeadLetters.Rejected> refused = new ArrayList<>();
        for (int i = 0; i < batch.events.size(); i++) {
            UsageEvent e = batch.events.get(i);
            try {
                LedgerWriter.Result one = writer.write(List.of(e), groupId, List.of());
                inserted += one.inserted();
                duplicates += one.duplicates();
                deduplicated |= one.deduplicated();
            } catch (SQLException ex) {
                if (!LedgerWriter.permanent(ex)) {
                    throw ex;
                }
                refused.add(new DeadLetters.Rejected(batch.records.get(i), "PostgreSQL refused the event: " + ex.getMessage()));
            }
        }
        if (!refused.isEmpty()) {
            deadLetters.sendAll(refused);
            metrics.deadLettered(refused.size());
        }
        writer.write(List.of(), groupId, batch.offsets.values());
        return new LedgerWriter.Result(inserted, duplicates, deduplicated);
    }

    /** Polls the paused partitions while waiting, so the group does not drop this member. */
    private void keepMembershipFor(long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (running && System.nanoTime() < deadline) {
            ConsumerRecords<String, byte[]> ignored = consumer.poll(Duration.ofMillis(Math.min(100, millis)));
            if (!ignored.isEmpty()) {
                // A rebalance assigned a partition that is not paused yet: pause it, and let its
                // records come again later from the stored offsets.
                consumer.pause(consumer.assignment());
                for (TopicPartition tp : ignored.partitions()) {
                    consumer.seek(tp, ignored.records(tp).get(0).offset());
                }
            }
        }
    }

    /** Offsets also go to Kafka (after PostgreSQL), so lag tools see progress; PostgreSQL stays the truth. */
    private void commitToKafka(Batch batch) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        batch.offsets.forEach((tp, o) -> offsets.put(tp, new OffsetAndMetadata(o.nextOffset())));
        consumer.commitAsync(offsets, (o, e) -> {
            if (e != null) {
                log.debug("offset commit to Kafka failed ({}); PostgreSQL holds the offsets", e.toString());
            }
        });
    }

    private void updateLag() {
        long total = 0;
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong behind = consumer.currentLag(tp);
            if (behind.isPresent()) {
                total += behind.getAsLong();
            }
        }
        lag.set(total);
    }

    /** Releases the Kafka consumer of a loop that was never run (its start was abandoned). */
    public void closeUnstarted() {
        consumer.close(Duration.ZERO);
    }

    /** Stops the loop after the batch in hand. */
    public void stop() {
        running = false;
        consumer.wakeup();
    }

    /** Seeks each assigned partition to the offset stored with the rows it produced. */
    private final class SeekToStoredOffsets implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            Map<Integer, Long> stored;
            try {
                stored = writer.storedOffsets(groupId, topic);
            } catch (SQLException e) {
                // Kafka's committed offsets trail PostgreSQL's, so starting there only re-reads
                // events the ledger dedupes.
                log.warn("stored offsets unavailable ({}); starting from Kafka's committed offsets", e.toString());
                return;
            }
            for (TopicPartition tp : partitions) {
                Long next = stored.get(tp.partition());
                if (next != null) {
                    consumer.seek(tp, next);
                } else {
                    consumer.seekToBeginning(List.of(tp));
                }
            }
            log.info("assigned {} partitions of {}, positioned at the stored offsets", partitions.size(), topic);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // Nothing pending: every batch is committed before the next poll.
        }
    }

    /** One poll's worth: valid events, invalid ones with reasons, and the offsets after them. */
    private static final class Batch {
        final List<UsageEvent> events = new ArrayList<>();
        final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>(); // beside events, by index
        final List<DeadLetters.Rejected> rejected = new ArrayList<>();
        final Map<TopicPartition, LedgerWriter.Offset> offsets = new HashMap<>();
        final Map<String, TopicPartition> userPartition = new HashMap<>();

        static Batch of(ConsumerRecords<String, byte[]> records) {
            Batch b = new Batch();
            for (TopicPartition tp : records.partitions()) {
                List<ConsumerRecord<String, byte[]>> inPartition = records.records(tp);
                for (ConsumerRecord<String, byte[]> r : inPartition) {
                    try {
                        UsageEvent e = UsageEventRecords.fromRecord(r);
                        b.events.add(e);
                        b.records.add(r);
                        b.userPartition.put(e.userId(), tp);
                    } catch (InvalidEventException e) {
                        b.rejected.add(new DeadLetters.Rejected(r, e.reason()));
                    }
                }
                long next = inPartition.get(inPartition.size() - 1).offset() + 1;
                b.offsets.put(tp, new LedgerWriter.Offset(tp.topic(), tp.partition(), next));
            }
            return b;
        }

        int size() {
            return events.size() + rejected.size();
        }

        /** Every user with events in the batch, with its partition's position after the batch. */
        Map<String, BatchListener.Watermark> watermarks() {
            Map<String, BatchListener.Watermark> out = new HashMap<>();
            userPartition.forEach((user, tp) -> out.put(user,
                    new BatchListener.Watermark(tp.partition(), offsets.get(tp).nextOffset())));
            return out;
        }
    }
}
