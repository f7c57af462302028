package dev.metering.model.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RfcInstantsTest {

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-27T15:22:49Z", "2026-11-27T15:22:49.123Z", "2024-02-29T23:59:59.999999999Z",
        "2000-01-01T00:00:00.1Z", "9999-12-31T23:59:59Z"})
    void agreesWithInstantParse(String text) {
        assertThat(RfcInstants.parse(text)).isEqualTo(Instant.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-02-30T00:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27T15:22:49", "2026-11-27 15:22:49Z",
        "2026-11-27T15:22:49.Z", "2026-11-27T15:22:49.1234567890Z", "+10000-01-01T00:00:00Z", "2026-11-27T15:22:4aZ"})
    void leavesEverythingElseToTheGeneralParser(String text) {
        assertThat(RfcInstants.parse(text)).isNull();
    }
}
