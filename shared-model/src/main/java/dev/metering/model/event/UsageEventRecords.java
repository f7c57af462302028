package dev.metering.model.event;

import java.net.URI;
import java.time.ZoneOffset;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.kafka.KafkaMessageFactory;
import io.cloudevents.rw.CloudEventRWException;

/**
 * Usage events as Kafka records in CloudEvents binary mode: the value is the v1 JSON, the key is
 * the user id, and the {@code ce_*} and {@code content-type} headers are written and read by the
 * CloudEvents Kafka binding.
 */
public final class UsageEventRecords {
    /** {@code ce_type} of usage v1. */
    public static final String TYPE_V1 = "dev.metering.usage.v1";
    public static final String CONTENT_TYPE = "application/json";
    private static final String SOURCE_PREFIX = "urn:metering:edge:";

    private UsageEventRecords() {
    }

    /** The record for {@code event} on {@code topic}, keyed by user id. */
    public static ProducerRecord<String, byte[]> toRecord(String topic, UsageEvent event) {
        return toRecord(topic, event, UsageEventCodec.encode(event));
    }

    /** As {@link #toRecord(String, UsageEvent)}, with the value already encoded. */
    public static ProducerRecord<String, byte[]> toRecord(String topic, UsageEvent event, byte[] json) {
        CloudEvent ce = CloudEventBuilder.v1()
                .withId(event.eventId())
                .withSource(source(event.edgeId()))
                .withType(TYPE_V1)
                .withTime(event.occurredAt().atOffset(ZoneOffset.UTC))
                .withDataContentType(CONTENT_TYPE)
                .withData(json)
                .build();
        return KafkaMessageFactory.<String>createWriter(topic, event.userId()).writeBinary(ce);
    }

    /** The {@code ce_source} of events produced by {@code edgeId}. */
    public static URI source(String edgeId) {
        return URI.create(SOURCE_PREFIX + edgeId);
    }

    /**
     * Reads a record as a usage v1 event, checking the CloudEvents headers against the value.
     *
     * @throws InvalidEventException naming what is wrong
     */
    public static UsageEvent fromRecord(ConsumerRecord<String, byte[]> record) {
        CloudEvent ce;
        try {
            ce = KafkaMessageFactory.createReader(record).toEvent();
        } catch (CloudEventRWException | IllegalStateException e) {
            throw new InvalidEventException("headers: not a CloudEvent in binary mode (" + e.getMessage() + ")", e);
        }
        if (!TYPE_V1.equals(ce.getType())) {
            throw new InvalidEventException("ce_type: \"" + ce.getType() + "\" (expected: " + TYPE_V1 + ")");
        }
        if (ce.getData() == null) {
            throw new InvalidEventException("empty value (expected: a JSON object)");
        }
        UsageEvent event = UsageEventCodec.decode(ce.getData().toBytes());
        if (!event.eventId().equals(ce.getId())) {
            throw new InvalidEventException("ce_id: \"" + ce.getId() + "\" (expected: the eventId " + event.eventId() + ")");
        }
        if (record.key() != null && !record.key().equals(event.userId())) {
            throw new InvalidEventException("key: \"" + record.key() + "\" (expected: the userId " + event.userId() + ")");
        }
        return event;
    }
}
