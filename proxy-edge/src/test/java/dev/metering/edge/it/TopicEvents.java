package dev.metering.edge.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.metering.model.event.UsageEvent;
import dev.metering.model.event.UsageEventRecords;

/** Reads usage events off a topic the way an analytics team would: from the beginning, every partition. */
final class TopicEvents {
    private TopicEvents() {
    }

    /** Waits for {@code n} events, then keeps reading briefly to make sure there are no more. */
    static List<UsageEvent> exactly(String bootstrap, String topic, int n, Duration timeout) {
        List<UsageEvent> events = atLeast(bootstrap, topic, n, timeout, Duration.ofMillis(700));
        assertThat(events).as("events on %s", topic).hasSize(n);
        return events;
    }

    /**
     * Reads until at least {@code n} events arrived (or the timeout), then for {@code settle}
     * more, so that extra events would be seen.
     */
    static List<UsageEvent> atLeast(String bootstrap, String topic, int n, Duration timeout, Duration settle) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<UsageEvent> events = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.nanoTime() + timeout.toNanos();
            long settleUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, settleUntil)) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
                    events.add(UsageEventRecords.fromRecord(r));
                }
                if (events.size() >= n && settleUntil == Long.MAX_VALUE) {
                    settleUntil = System.nanoTime() + settle.toNanos();
                }
            }
        }
        return events;
    }
}
