package dev.metering.model.event;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.kafka.KafkaMessageFactory;

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
     * Reads a record as a usage v1 event, checking the CloudEvents headers against the value. The
     * consumer reads every event through here, so it looks at the four headers it checks directly
     * rather than building a whole CloudEvent (which parses {@code ce_time} and {@code ce_source}
     * again for nothing).
     *
     * @throws InvalidEventException naming what is wrong
     */
    public static UsageEvent fromRecord(ConsumerRecord<String, byte[]> record) {
        // One pass over the headers; the last of a repeated name counts, as with lastHeader.
        Header specVersionHeader = null;
        Header typeHeader = null;
        Header contentTypeHeader = null;
        Header idHeader = null;
        for (Header h : record.headers()) {
            switch (h.key()) {
                case "ce_specversion" -> specVersionHeader = h;
                case "ce_type" -> typeHeader = h;
                case "content-type" -> contentTypeHeader = h;
                case "ce_id" -> idHeader = h;
                default -> {
                }
            }
        }
        String specVersion = text(specVersionHeader);
        if (specVersion == null) {
            throw new InvalidEventException("headers: not a CloudEvent in binary mode (no ce_specversion)");
        }
        if (!"1.0".equals(specVersion)) {
            throw new InvalidEventException("ce_specversion: \"" + specVersion + "\" (expected: 1.0)");
        }
        String type = text(typeHeader);
        if (!TYPE_V1.equals(type)) {
            throw new InvalidEventException("ce_type: \"" + type + "\" (expected: " + TYPE_V1 + ")");
        }
        String contentType = text(contentTypeHeader);
        if (contentType != null && !contentType.startsWith(CONTENT_TYPE)) {
            throw new InvalidEventException("content-type: \"" + contentType + "\" (expected: " + CONTENT_TYPE + ")");
        }
        UsageEvent event = UsageEventCodec.decode(record.value());
        String id = text(idHeader);
        if (!event.eventId().equals(id)) {
            throw new InvalidEventException("ce_id: \"" + id + "\" (expected: the eventId " + event.eventId() + ")");
        }
        if (record.key() != null && !record.key().equals(event.userId())) {
            throw new InvalidEventException("key: \"" + record.key() + "\" (expected: the userId " + event.userId() + ")");
        }
        return event;
    }

    private static String text(Header h) {
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
