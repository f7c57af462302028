package dev.metering.model.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

class UsageEventCodecTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static JsonSchema schema;

    @BeforeAll
    static void loadPublishedSchema() throws Exception {
        try (InputStream in = UsageEventCodec.class.getResourceAsStream("/schemas/usage-event-v1.schema.json")) {
            assertThat(in).as("published schema on the classpath").isNotNull();
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                    .getSchema(in, SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build());
        }
    }

    @Test
    void encodedEventRoundTripsEqual() {
        UsageEvent e = UsageEvents.sample();
        assertThat(UsageEventCodec.decode(UsageEventCodec.encode(e))).isEqualTo(e);
    }

    @Test
    void encodedEventsValidateAgainstThePublishedSchema() throws Exception {
        UsageEvent withSession = UsageEvents.sample();
        UsageEvent withoutSession = new UsageEvent("00000000-0000-4000-8000-000000000001",
                java.time.Instant.parse("2026-01-01T00:00:00Z"), "anonymous", null, "unknown", 502, false, 0, 0, 0, 0,
                0, "2025-10-01", "edge-2", 0, Outcome.UPSTREAM_UNREACHABLE);
        for (UsageEvent e : new UsageEvent[] {withSession, withoutSession}) {
            Set<ValidationMessage> errors = schema.validate(MAPPER.readTree(UsageEventCodec.encode(e)));
            assertThat(errors).as("schema errors for %s", e).isEmpty();
        }
    }

    @Test
    void writesTheFieldsOfVersionOneWithRfc3339UtcTime() throws Exception {
        JsonNode json = MAPPER.readTree(UsageEventCodec.encode(UsageEvents.sample()));
        assertThat(json.get("occurredAt").asText()).isEqualTo("2026-11-27T15:22:49.123Z");
        assertThat(json.get("costMicros").isIntegralNumber()).isTrue();
        assertThat(json.get("outcome").asText()).isEqualTo("completed");
        assertThat(json.size()).isEqualTo(16);
    }

    @Test
    void ignoresFieldsItDoesNotKnowBecauseVersionOneGrowsByOptionalFields() throws Exception {
        ObjectNode json = (ObjectNode) MAPPER.readTree(UsageEventCodec.encode(UsageEvents.sample()));
        json.put("region", "eu-west-1");
        assertThat(UsageEventCodec.decode(MAPPER.writeValueAsBytes(json))).isEqualTo(UsageEvents.sample());
        assertThat(schema.validate(json)).isEmpty();
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "eventId        | \"not-a-uuid\"            | eventId: \"not-a-uuid\" (expected: a lower-case UUID)",
        "occurredAt     | \"2026-11-27T15:22:49\"   | occurredAt: \"2026-11-27T15:22:49\" (expected: an RFC 3339 UTC timestamp",
        "userId         | \"\"                      | userId: \"\" (expected: 1-256 characters of valid Unicode without NUL)",
        "model          | \"a\\u0000b\"              | model: ",
        "status         | 99                        | status: 99 (expected: an integer 100-599)",
        "occurredAt     | \"0000-01-01T00:00:00Z\"  | occurredAt: ",
        "inputTokens    | 1000000000001             | inputTokens: 1000000000001 (expected: an integer 0-1000000000000)",
        "inputTokens    | -1                        | inputTokens: -1 (expected: an integer 0-1000000000000)",
        "outputTokens   | \"40\"                    | outputTokens: \"40\" (expected: an integer 0-1000000000000)",
        "costMicros     | 981.75                    | costMicros: 981.75 (expected: an integer 0-1000000000000000)",
        "stream         | \"yes\"                   | stream: \"yes\" (expected: true or false)",
        "outcome        | \"exploded\"              | outcome: \"exploded\" (expected: one of completed, client_disconnected",
        "edgeId         | \"edge 1\"                | edgeId: \"edge 1\" (expected: [A-Za-z0-9._:-]{1,128})",
    })
    void rejectsAnInvalidFieldWithTheReasonAndSoDoesTheSchema(String field, String badJson, String reason)
            throws Exception {
        ObjectNode json = (ObjectNode) MAPPER.readTree(UsageEventCodec.encode(UsageEvents.sample()));
        json.set(field, MAPPER.readTree(badJson));
        byte[] bytes = MAPPER.writeValueAsBytes(json);

        assertThatThrownBy(() -> UsageEventCodec.decode(bytes))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageStartingWith(reason);
        assertThat(schema.validate(json)).as("schema errors").isNotEmpty()
                .anySatisfy(m -> assertThat(m.getMessage()).contains(field));
    }

    @Test
    void rejectsTextThatUtf8CannotHoldSoThatTwoIdsNeverBecomeOne() throws Exception {
        for (String bad : new String[] {"x\\ud800", "\\udc00x", "a\\ud800\\ud800b"}) {
            byte[] json = new String(UsageEventCodec.encode(UsageEvents.sample()), StandardCharsets.UTF_8)
                    .replace("\"alice\"", "\"" + bad + "\"").getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> UsageEventCodec.decode(json)).as(bad)
                    .isInstanceOf(InvalidEventException.class).hasMessageStartingWith("userId: ");
        }
        byte[] pair = new String(UsageEventCodec.encode(UsageEvents.sample()), StandardCharsets.UTF_8)
                .replace("\"alice\"", "\"a\\ud83d\\ude00\"").getBytes(StandardCharsets.UTF_8);
        assertThat(UsageEventCodec.decode(pair).userId()).isEqualTo("a\ud83d\ude00");
    }

    @Test
    void rejectsAMissingFieldNamingIt() throws Exception {
        ObjectNode json = (ObjectNode) MAPPER.readTree(UsageEventCodec.encode(UsageEvents.sample()));
        json.remove("model");
        assertThatThrownBy(() -> UsageEventCodec.decode(MAPPER.writeValueAsBytes(json)))
                .isInstanceOf(InvalidEventException.class).hasMessage("model: missing");
        assertThat(schema.validate(json)).anySatisfy(m -> assertThat(m.getMessage()).contains("model"));
    }

    @Test
    void rejectsValuesThatAreNotAJsonObject() {
        assertThatThrownBy(() -> UsageEventCodec.decode("{\"eventId\":".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidEventException.class).hasMessageStartingWith("not JSON");
        assertThatThrownBy(() -> UsageEventCodec.decode("{\"eventId\":\"x\"".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidEventException.class).hasMessageStartingWith("not JSON");
        assertThatThrownBy(() -> UsageEventCodec.decode("[1,2]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidEventException.class).hasMessage("not a JSON object");
        assertThatThrownBy(() -> UsageEventCodec.decode(new byte[0]))
                .isInstanceOf(InvalidEventException.class).hasMessageStartingWith("empty value");
        assertThatThrownBy(() -> UsageEventCodec.decode(new byte[UsageEventCodec.MAX_EVENT_BYTES + 1]))
                .isInstanceOf(InvalidEventException.class).hasMessageContaining("at most 65536");
    }
}
