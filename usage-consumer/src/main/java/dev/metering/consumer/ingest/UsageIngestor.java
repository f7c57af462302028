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
    private final BatchListener listener;
    private final String topic;
    private final String groupId;
    private final Duration pollTimeout;
    private volatile boolean running = true;
    private volatile boolean healthy;

    public UsageIngestor(Consumer<String, byte[]> consumer, LedgerWriter writer,
            org.apache.kafka.clients.producer.Producer<String, byte[]> dlqProducer, String dlqTopic,
            IngestMetrics metrics, BatchListener listener, String topic, String groupId, Duration pollTimeout) {
        this.consumer = consumer;
        this.writer = writer;
        this.deadLetters = new DeadLetters(dlqProducer, dlqTopic);
        this.metrics = metrics;
        this.listener = listener;
        this.topic = topic;
        this.groupId = groupId;
        this.pollTimeout = pollTimeout;
    }

    /** Whether the last batch was written; for the health view. */
    public boolean healthy() {
        return healthy;
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(topic), new SeekToStoredOffsets());
        try {
            while (running) {
                ConsumerRecords<String, byte[]> records = consumer.poll(pollTimeout);
                updateLag();
                if (!records.isEmpty()) {
                    writeWithRetry(Batch.of(records));
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void writeWithRetry(Batch batch) {
        long backoff = 100;
        boolean paused = false;
        while (running) {
            try {
                long t0 = System.nanoTime();
                if (!batch.rejected.isEmpty()) {
                    deadLetters.sendAll(batch.rejected);
                }
                LedgerWriter.Result r = writer.write(batch.events, groupId, batch.offsets.values());
                metrics.committed(batch.size(), r.inserted(), r.duplicates(), Duration.ofNanos(System.nanoTime() - t0));
                if (!batch.rejected.isEmpty()) {
                    metrics.deadLettered(batch.rejected.size());
                    batch.rejected.forEach(x -> log.warn("invalid usage event at {}-{}@{} sent to the dead-letter "
                            + "topic: {}", x.record().topic(), x.record().partition(), x.record().offset(), x.reason()));
                }
                commitToKafka(batch);
                listener.committed(batch.watermarks());
                healthy = true;
                if (paused) {
                    consumer.resume(consumer.paused());
                    log.info("batch written after a retry; consuming again");
                }
                return;
            } catch (SQLException | ExecutionException | TimeoutException e) {
                healthy = false;
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
                return;
            }
        }
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
            OptionalLong lag = consumer.currentLag(tp);
            if (lag.isPresent()) {
                total += lag.getAsLong();
            }
        }
        metrics.lag(total);
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
        final List<DeadLetters.Rejected> rejected = new ArrayList<>();
        final Map<TopicPartition, LedgerWriter.Offset> offsets = new HashMap<>();
        final Map<String, TopicPartition> userPartition = new HashMap<>();

        static Batch of(ConsumerRecords<String, byte[]> records) {
            Batch b = new Batch();
            for (ConsumerRecord<String, byte[]> r : records) {
                try {
                    UsageEvent e = UsageEventRecords.fromRecord(r);
                    b.events.add(e);
                    b.userPartition.put(e.userId(), new TopicPartition(r.topic(), r.partition()));
                } catch (InvalidEventException e) {
                    b.rejected.add(new DeadLetters.Rejected(r, e.reason()));
                }
                b.offsets.put(new TopicPartition(r.topic(), r.partition()),
                        new LedgerWriter.Offset(r.topic(), r.partition(), r.offset() + 1));
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
