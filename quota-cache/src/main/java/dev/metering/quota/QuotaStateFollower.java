package dev.metering.quota;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.metering.model.quota.QuotaStateCodec;

/**
 * Follows the compacted {@code quota-state} topic into a {@link QuotaCache}: reads every
 * partition from the beginning, marks the cache ready once it reached the end the topic had at
 * start, then keeps following. No consumer group: every edge reads everything. Runs on its own
 * thread; waits for the topic when Kafka is away.
 */
public final class QuotaStateFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QuotaStateFollower.class);

    private final QuotaCache cache;
    private final String topic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    public QuotaStateFollower(QuotaCache cache, String bootstrapServers, String topic) {
        this.cache = cache;
        this.topic = topic;
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        this.consumer = new KafkaConsumer<>(p);
        this.thread = new Thread(this::run, "quota-state-follower");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    private void run() {
        try {
            List<TopicPartition> parts = awaitPartitions();
            if (parts == null) {
                return;
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(parts, Duration.ofSeconds(30)));
            boolean caughtUp = false;
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    apply(r);
                }
                if (!caughtUp) {
                    end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
                    if (end.isEmpty()) {
                        caughtUp = true;
                        cache.markReady();
                        log.info("quota state loaded from {}; admission uses it from now on", topic);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("following {} failed; quota decisions will go stale and follow the fail mode", topic, e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private List<TopicPartition> awaitPartitions() {
        while (running) {
            try {
                var infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
                if (infos != null && !infos.isEmpty()) {
                    return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
                }
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                log.warn("quota state topic {} not reachable yet; retrying", topic);
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    private void apply(ConsumerRecord<String, byte[]> r) {
        if (QuotaStateCodec.isHeartbeat(r.key())) {
            cache.heartbeat();
        } else if (r.value() == null) {
            cache.remove(r.key());
        } else {
            try {
                cache.apply(QuotaStateCodec.decode(r.value()));
            } catch (IllegalArgumentException e) {
                log.warn("ignoring a record on {} at {}-{}: {}", topic, r.partition(), r.offset(), e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
