package dev.metering.model.quota;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.format.DateTimeFormatter;
import java.util.OptionalLong;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * JSON of the {@code quota-state} topic. Two kinds of record share it: a user's
 * {@link QuotaState} (key: the user id) and a consumer's heartbeat (key starting with
 * {@link #HEARTBEAT_KEY_PREFIX}, which no user id can, since user ids never hold NUL), which
 * tells edges that the state is being kept fresh even when nobody spends.
 */
public final class QuotaStateCodec {
    /** Heartbeat keys start with NUL, which user ids cannot contain. */
    public static final String HEARTBEAT_KEY_PREFIX = "\u0000heartbeat:";

    private static final JsonFactory JSON = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper(JSON);

    private QuotaStateCodec() {
    }

    public static boolean isHeartbeat(String key) {
        return key != null && key.startsWith(HEARTBEAT_KEY_PREFIX);
    }

    public static byte[] encode(QuotaState s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("userId", s.userId());
            limit(g, "dailyLimitMicros", s.dailyLimitMicros());
            limit(g, "monthlyLimitMicros", s.monthlyLimitMicros());
            g.writeNumberField("limitsVersion", s.limitsVersion());
            g.writeStringField("day", s.day().toString());
            g.writeNumberField("dailySpentMicros", s.dailySpentMicros());
            g.writeStringField("month", s.month().toString());
            g.writeNumberField("monthlySpentMicros", s.monthlySpentMicros());
            g.writeNumberField("partition", s.partition());
            g.writeNumberField("watermark", s.watermark());
            g.writeStringField("publishedAt", DateTimeFormatter.ISO_INSTANT.format(s.publishedAt()));
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void limit(JsonGenerator g, String name, OptionalLong v) throws IOException {
        if (v.isPresent()) {
            g.writeNumberField(name, v.getAsLong());
        } else {
            g.writeNullField(name);
        }
    }

    /** @throws IllegalArgumentException when the value is not a quota state */
    public static QuotaState decode(byte[] json) {
        try {
            JsonNode n = MAPPER.readTree(json);
            return new QuotaState(n.get("userId").asText(), optional(n.get("dailyLimitMicros")),
                    optional(n.get("monthlyLimitMicros")), n.path("limitsVersion").asLong(0), LocalDate.parse(n.get("day").asText()),
                    n.get("dailySpentMicros").asLong(), YearMonth.parse(n.get("month").asText()),
                    n.get("monthlySpentMicros").asLong(), n.get("partition").asInt(), n.get("watermark").asLong(),
                    Instant.parse(n.get("publishedAt").asText()));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a quota state: " + e.getMessage(), e);
        }
    }

    private static OptionalLong optional(JsonNode n) {
        return n == null || n.isNull() ? OptionalLong.empty() : OptionalLong.of(n.asLong());
    }

    /** A heartbeat's value: when it was sent. */
    public static byte[] heartbeat(Instant at) {
        return ("{\"heartbeatAt\":\"" + DateTimeFormatter.ISO_INSTANT.format(at) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
