package dev.metering.model.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestInfra;

/** A usage event goes through a real broker, headers and all, and comes back equal. */
class UsageEventKafkaIT {

    @InfraTest
    void eventEncodedBySharedModelComesBackEqualThroughARealBroker(TestInfra infra) throws Exception {
        String topic = infra.createTopic("usage-events", 3, Map.of());
        UsageEvent sent = UsageEvents.sample();

        RecordMetadata written;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(infra))) {
            written = producer.send(UsageEventRecords.toRecord(topic, sent)).get();
        }

        List<ConsumerRecord<String, byte[]>> received = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerProps(infra))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
            }
        }

        assertThat(received).hasSize(1);
        ConsumerRecord<String, byte[]> r = received.get(0);
        assertThat(r.partition()).isEqualTo(written.partition());
        assertThat(r.key()).isEqualTo("alice");
        assertThat(new String(r.headers().lastHeader("ce_id").value(), StandardCharsets.UTF_8))
                .isEqualTo(sent.eventId());
        assertThat(UsageEventRecords.fromRecord(r)).isEqualTo(sent);
    }

    private static Properties producerProps(TestInfra infra) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, infra.kafkaBootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    private static Properties consumerProps(TestInfra infra) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, infra.kafkaBootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, TestInfra.uniqueName("it"));
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }
}
