package dev.metering.consumer.ingest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Sends events that are not valid usage v1 to the dead-letter topic, unchanged, with the reason
 * and the source position in headers ({@code dlq-reason}, {@code dlq-source}). They are sent
 * before their batch commits, so a poison event is never skipped without a trace.
 */
final class DeadLetters {
    static final String REASON_HEADER = "dlq-reason";
    static final String SOURCE_HEADER = "dlq-source";

    private final Producer<String, byte[]> producer;
    private final String topic;

    DeadLetters(Producer<String, byte[]> producer, String topic) {
        this.producer = producer;
        this.topic = topic;
    }

    /** An invalid record and why. */
    record Rejected(ConsumerRecord<String, byte[]> record, String reason) {
    }

    /** Sends them all and waits for Kafka's acknowledgement. */
    void sendAll(List<Rejected> rejected) throws ExecutionException, TimeoutException, InterruptedException {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (Rejected r : rejected) {
            ProducerRecord<String, byte[]> out = new ProducerRecord<>(topic, null, r.record().key(), r.record().value(),
                    r.record().headers());
            out.headers().remove(REASON_HEADER).remove(SOURCE_HEADER);
            out.headers().add(REASON_HEADER, r.reason().getBytes(StandardCharsets.UTF_8));
            out.headers().add(SOURCE_HEADER, (r.record().topic() + "-" + r.record().partition() + "@"
                    + r.record().offset()).getBytes(StandardCharsets.UTF_8));
            sent.add(producer.send(out));
        }
        for (Future<RecordMetadata> f : sent) {
            f.get(30, TimeUnit.SECONDS);
        }
    }
}
