package dev.metering.model.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class UsageEventRecordsTest {

    @Test
    void writesCloudEventsBinaryModeHeadersKeyedByUser() {
        ProducerRecord<String, byte[]> r = UsageEventRecords.toRecord("usage-events", UsageEvents.sample());

        assertThat(r.topic()).isEqualTo("usage-events");
        assertThat(r.key()).isEqualTo("alice");
        assertThat(header(r.headers(), "ce_specversion")).isEqualTo("1.0");
        assertThat(header(r.headers(), "ce_id")).isEqualTo("3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b");
        assertThat(header(r.headers(), "ce_source")).isEqualTo("urn:metering:edge:edge-1");
        assertThat(header(r.headers(), "ce_type")).isEqualTo("dev.metering.usage.v1");
        assertThat(header(r.headers(), "ce_time")).isEqualTo("2026-11-27T15:22:49.123Z");
        assertThat(header(r.headers(), "content-type")).isEqualTo("application/json");
        assertThat(r.value()).isEqualTo(UsageEventCodec.encode(UsageEvents.sample()));
    }

    @Test
    void readsBackTheEventItWrote() {
        ProducerRecord<String, byte[]> r = UsageEventRecords.toRecord("usage-events", UsageEvents.sample());
        assertThat(UsageEventRecords.fromRecord(consumed(r.key(), r.headers(), r.value())))
                .isEqualTo(UsageEvents.sample());
    }

    @Test
    void rejectsARecordWithoutCloudEventsHeaders() {
        byte[] value = UsageEventCodec.encode(UsageEvents.sample());
        assertThatThrownBy(() -> UsageEventRecords.fromRecord(consumed("alice", new RecordHeaders(), value)))
                .isInstanceOf(InvalidEventException.class).hasMessageStartingWith("headers: not a CloudEvent");
    }

    @Test
    void rejectsARecordWhoseHeadersDisagreeWithItsValue() {
        ProducerRecord<String, byte[]> r = UsageEventRecords.toRecord("usage-events", UsageEvents.sample());
        Headers wrongId = copy(r.headers()).remove("ce_id").add("ce_id",
                "00000000-0000-4000-8000-000000000000".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> UsageEventRecords.fromRecord(consumed("alice", wrongId, r.value())))
                .isInstanceOf(InvalidEventException.class).hasMessageStartingWith("ce_id:");

        Headers wrongType = copy(r.headers()).remove("ce_type").add("ce_type",
                "com.example.other".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> UsageEventRecords.fromRecord(consumed("alice", wrongType, r.value())))
                .isInstanceOf(InvalidEventException.class).hasMessageStartingWith("ce_type:");

        assertThatThrownBy(() -> UsageEventRecords.fromRecord(consumed("mallory", r.headers(), r.value())))
                .isInstanceOf(InvalidEventException.class).hasMessageStartingWith("key:");
    }

    private static Headers copy(Headers h) {
        RecordHeaders c = new RecordHeaders();
        h.forEach(c::add);
        return c;
    }

    private static ConsumerRecord<String, byte[]> consumed(String key, Headers headers, byte[] value) {
        return new ConsumerRecord<>("usage-events", 0, 0L, 0L, TimestampType.CREATE_TIME, -1, -1, key, value,
                headers, Optional.empty());
    }

    private static String header(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
