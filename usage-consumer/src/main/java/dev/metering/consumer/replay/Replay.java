package dev.metering.consumer.replay;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.metering.consumer.db.LedgerWriter;
import dev.metering.model.event.InvalidEventException;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.event.UsageEventRecords;

/**
 * Rebuilds the ledger and rollups from the usage-events topic, from the beginning or from a
 * point in time, up to the end the topic had when the replay started. It writes through the same
 * deduping path as the consumer, so replaying into an empty database reproduces the rollups
 * exactly, and replaying twice changes nothing. It uses no consumer group and leaves the
 * consumer's stored offsets alone.
 */
public final class Replay {
    private static final Logger log = LoggerFactory.getLogger(Replay.class);

    private Replay() {
    }

    /** What a replay read and wrote. */
    public record Report(long read, long inserted, long duplicates, long invalid) {
    }

    public static Report run(String bootstrapServers, String topic, LedgerWriter writer, Optional<Instant> since,
            int batchSize) throws SQLException {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, batchSize);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        long read = 0;
        long inserted = 0;
        long duplicates = 0;
        long invalid = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(30));
            seekToStart(consumer, parts, since);
            Map<TopicPartition, Long> remaining = new HashMap<>(end);
            remaining.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
            while (!remaining.isEmpty()) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                List<UsageEvent> events = new ArrayList<>();
                for (ConsumerRecord<String, byte[]> r : records) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= end.get(tp)) {
                        continue; // arrived after the replay began: the live consumer has it
                    }
                    read++;
                    try {
                        events.add(UsageEventRecords.fromRecord(r));
                    } catch (InvalidEventException e) {
                        invalid++;
                    }
                }
                if (!events.isEmpty()) {
                    LedgerWriter.Result result = writer.write(events, "replay", List.of());
                    inserted += result.inserted();
                    duplicates += result.duplicates();
                }
                remaining.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
            }
        }
        Report report = new Report(read, inserted, duplicates, invalid);
        log.info("replay of {} done: {}", topic, report);
        return report;
    }

    private static void seekToStart(KafkaConsumer<String, byte[]> consumer, List<TopicPartition> parts,
            Optional<Instant> since) {
        if (since.isEmpty()) {
            consumer.seekToBeginning(parts);
            return;
        }
        Map<TopicPartition, Long> query = new HashMap<>();
        parts.forEach(tp -> query.put(tp, since.get().toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, Duration.ofSeconds(30));
        Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(30));
        for (TopicPartition tp : parts) {
            OffsetAndTimestamp o = found.get(tp);
            consumer.seek(tp, o != null ? o.offset() : end.get(tp));
        }
    }
}
