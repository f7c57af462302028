package dev.metering.consumer.it;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.metering.model.event.Outcome;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.event.UsageEventRecords;

/** Usage events for consumer tests, and a producer for them. */
final class Events {
    static final String[] MODELS = {"claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-6"};

    private Events() {
    }

    static UsageEvent event(String user, String model, Instant at, long costMicros, Random r) {
        return new UsageEvent(UUID.randomUUID().toString(), at, user, r.nextBoolean() ? "s-" + r.nextInt(5) : null,
                model, 200, r.nextBoolean(), r.nextInt(5000), r.nextInt(2000), r.nextInt(100), r.nextInt(50),
                costMicros, "2025-10-01", "edge-" + r.nextInt(3), r.nextInt(10_000), Outcome.COMPLETED);
    }

    /** {@code n} events over {@code users}, models and the given instants, with random costs. */
    static List<UsageEvent> many(int n, List<String> users, List<Instant> times, long seed) {
        Random r = new Random(seed);
        List<UsageEvent> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(event(users.get(r.nextInt(users.size())), MODELS[r.nextInt(MODELS.length)],
                    times.get(r.nextInt(times.size())), 1 + r.nextInt(2_000_000), r));
        }
        return out;
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return new KafkaProducer<>(p);
    }

    static void produce(String bootstrap, String topic, List<UsageEvent> events) throws Exception {
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (UsageEvent e : events) {
                sent.add(producer.send(UsageEventRecords.toRecord(topic, e)));
            }
            for (Future<RecordMetadata> f : sent) {
                f.get();
            }
        }
    }

    static void produceRaw(String bootstrap, List<ProducerRecord<String, byte[]>> records) throws Exception {
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
            for (ProducerRecord<String, byte[]> r : records) {
                producer.send(r).get();
            }
        }
    }
}
