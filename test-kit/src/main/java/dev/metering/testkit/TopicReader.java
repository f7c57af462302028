package dev.metering.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BiPredicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a topic from its beginning, outside any group, for tests that check what landed on it. */
public final class TopicReader {
    private static final Duration MAX_WAIT = Duration.ofSeconds(20);

    private TopicReader() {
    }

    /** Every record up to the topic's end as of this call (waiting at most 20 s). */
    public static List<ConsumerRecord<String, byte[]>> toEnd(String bootstrap, String topic) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        read(bootstrap, topic, out, (consumer, end) -> end.entrySet().stream()
                .allMatch(e -> consumer.position(e.getKey()) >= e.getValue()));
        return out;
    }

    /** Records until at least {@code count} were read, for records still being written (waiting at most 20 s). */
    public static List<ConsumerRecord<String, byte[]>> atLeast(String bootstrap, String topic, int count) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        read(bootstrap, topic, out, (consumer, end) -> out.size() >= count);
        return out;
    }

    /** Reads from the beginning into {@code out} until {@code done} (given the end offsets) or 20 s. */
    private static void read(String bootstrap, String topic, List<ConsumerRecord<String, byte[]>> out,
            BiPredicate<KafkaConsumer<String, byte[]>, Map<TopicPartition, Long>> done) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.nanoTime() + MAX_WAIT.toNanos();
            while (!done.test(c, end) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(100)).forEach(out::add);
            }
        }
    }
}
