package dev.metering.model.event;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * JSON codec of {@link UsageEvent} v1. Encoding writes the fields in a fixed order with
 * {@code occurredAt} as RFC 3339 UTC. Decoding is strict about the v1 fields, naming the first
 * field that is wrong, and ignores fields it does not know, since v1 grows by optional fields.
 */
public final class UsageEventCodec {
    /** Events are small; anything larger is not one of ours. */
    public static final int MAX_EVENT_BYTES = 64 * 1024;

    private static final JsonFactory JSON = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper(JSON);
    /** The v1 fields, each with its place in the array {@link #readFields} fills. */
    private static final Map<String, Integer> FIELDS = places("eventId", "occurredAt", "userId", "sessionId", "model",
            "status", "stream", "inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens", "costMicros",
            "pricingVersion", "edgeId", "durationMs", "outcome");
    private static final String OUTCOMES = String.join(", ",
            Arrays.stream(Outcome.values()).map(Outcome::wireName).toList());

    private UsageEventCodec() {
    }

    private static Map<String, Integer> places(String... names) {
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < names.length; i++) {
            m.put(names[i], i);
        }
        return Map.copyOf(m);
    }

    public static byte[] encode(UsageEvent e) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("eventId", e.eventId());
            g.writeStringField("occurredAt", RfcInstants.format(e.occurredAt()));
            g.writeStringField("userId", e.userId());
            g.writeStringField("sessionId", e.sessionId());
            g.writeStringField("model", e.model());
            g.writeNumberField("status", e.status());
            g.writeBooleanField("stream", e.stream());
            g.writeNumberField("inputTokens", e.inputTokens());
            g.writeNumberField("outputTokens", e.outputTokens());
            g.writeNumberField("cacheReadTokens", e.cacheReadTokens());
            g.writeNumberField("cacheWriteTokens", e.cacheWriteTokens());
            g.writeNumberField("costMicros", e.costMicros());
            g.writeStringField("pricingVersion", e.pricingVersion());
            g.writeStringField("edgeId", e.edgeId());
            g.writeNumberField("durationMs", e.durationMs());
            g.writeStringField("outcome", e.outcome().wireName());
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException("encoding usage event " + e.eventId(), ex);
        }
        return out.toByteArray();
    }

    /**
     * Decodes and validates one event.
     *
     * @throws InvalidEventException naming the first problem found
     */
    public static UsageEvent decode(byte[] json) {
        if (json == null || json.length == 0) {
            throw new InvalidEventException("empty value (expected: a JSON object)");
        }
        if (json.length > MAX_EVENT_BYTES) {
            throw new InvalidEventException("event of " + json.length + " bytes (expected: at most " + MAX_EVENT_BYTES + ")");
        }
        JsonNode[] values;
        try {
            values = readFields(json);
        } catch (JsonProcessingException ex) {
            throw new InvalidEventException("not JSON: " + ex.getOriginalMessage());
        } catch (IOException ex) {
            throw new InvalidEventException("not JSON: " + ex.getMessage());
        }
        if (values == null) {
            throw new InvalidEventException("not a JSON object");
        }
        Fields f = new Fields(values);
        return new UsageEvent(
                f.text("eventId"),
                f.instant("occurredAt"),
                f.text("userId"),
                f.nullableText("sessionId"),
                f.text("model"),
                (int) f.integer("status", 100, 599),
                f.bool("stream"),
                f.integer("inputTokens", 0, UsageEvent.MAX_TOKENS),
                f.integer("outputTokens", 0, UsageEvent.MAX_TOKENS),
                f.integer("cacheReadTokens", 0, UsageEvent.MAX_TOKENS),
                f.integer("cacheWriteTokens", 0, UsageEvent.MAX_TOKENS),
                f.integer("costMicros", 0, UsageEvent.MAX_COST_MICROS),
                f.text("pricingVersion"),
                f.text("edgeId"),
                f.integer("durationMs", 0, UsageEvent.MAX_DURATION_MS),
                f.outcome("outcome"));
    }

    /**
     * The values of the v1 fields, by their place in {@link #FIELDS}, read with the streaming
     * parser: fields it does not know are skipped without building anything, and a repeated field
     * keeps its last value, as a JSON tree would. Null when the value is not a JSON object.
     */
    private static JsonNode[] readFields(byte[] json) throws IOException {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            JsonNode[] values = new JsonNode[FIELDS.size()];
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                Integer at = FIELDS.get(p.currentName());
                JsonToken t = p.nextToken();
                if (at == null) {
                    p.skipChildren();
                } else {
                    values[at] = value(p, t);
                }
            }
            return values; // a truncated object fails inside nextToken with Jackson's own message
        }
    }

    /** The value at the parser as the node a JSON tree would hold. */
    private static JsonNode value(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case VALUE_STRING -> TextNode.valueOf(p.getText());
            case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
                case INT -> IntNode.valueOf(p.getIntValue());
                case LONG -> LongNode.valueOf(p.getLongValue());
                default -> BigIntegerNode.valueOf(p.getBigIntegerValue());
            };
            case VALUE_NUMBER_FLOAT -> DoubleNode.valueOf(p.getDoubleValue());
            case VALUE_TRUE -> BooleanNode.TRUE;
            case VALUE_FALSE -> BooleanNode.FALSE;
            case VALUE_NULL -> NullNode.getInstance();
            default -> MAPPER.readTree(p); // an object or array where a scalar belongs: kept to be shown in the error
        };
    }

    /** Reads typed fields, failing with the field's name. */
    private record Fields(JsonNode[] values) {
        private JsonNode required(String name) {
            JsonNode n = values[FIELDS.get(name)];
            if (n == null) {
                throw new InvalidEventException(name + ": missing");
            }
            return n;
        }

        private InvalidEventException wrong(String name, JsonNode n, String expected) {
            String shown = n.toString();
            if (shown.length() > 80) {
                shown = shown.substring(0, 80) + "...";
            }
            return new InvalidEventException(name + ": " + shown + " (expected: " + expected + ")");
        }

        String text(String name) {
            JsonNode n = required(name);
            if (!n.isTextual()) {
                throw wrong(name, n, "a string");
            }
            return n.textValue();
        }

        String nullableText(String name) {
            JsonNode n = required(name);
            if (n.isNull()) {
                return null;
            }
            if (!n.isTextual()) {
                throw wrong(name, n, "a string or null");
            }
            return n.textValue();
        }

        long integer(String name, long min, long max) {
            JsonNode n = required(name);
            if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < min || n.longValue() > max) {
                throw wrong(name, n, "an integer " + min + "-" + (max == Long.MAX_VALUE ? "" : max));
            }
            return n.longValue();
        }

        boolean bool(String name) {
            JsonNode n = required(name);
            if (!n.isBoolean()) {
                throw wrong(name, n, "true or false");
            }
            return n.booleanValue();
        }

        Instant instant(String name) {
            JsonNode n = required(name);
            if (!n.isTextual() || !n.textValue().endsWith("Z")) {
                throw wrong(name, n, "an RFC 3339 UTC timestamp such as 2026-01-31T12:00:00Z");
            }
            Instant fast = RfcInstants.parse(n.textValue());
            if (fast != null) {
                return fast;
            }
            try {
                return Instant.parse(n.textValue());
            } catch (DateTimeParseException ex) {
                throw wrong(name, n, "an RFC 3339 UTC timestamp such as 2026-01-31T12:00:00Z");
            }
        }

        Outcome outcome(String name) {
            JsonNode n = required(name);
            if (n.isTextual()) {
                var o = Outcome.fromWireName(n.textValue());
                if (o.isPresent()) {
                    return o.get();
                }
            }
            throw wrong(name, n, "one of " + OUTCOMES);
        }
    }
}
