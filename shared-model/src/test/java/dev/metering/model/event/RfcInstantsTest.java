package dev.metering.model.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Random;

import org.junit.jupiter.api.Test;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RfcInstantsTest {

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-27T15:22:49Z", "2026-11-27T15:22:49.123Z", "2024-02-29T23:59:59.999999999Z",
        "2000-01-01T00:00:00.1Z", "9999-12-31T23:59:59Z"})
    void agreesWithInstantParse(String text) {
        assertThat(RfcInstants.parse(text)).isEqualTo(Instant.parse(text));
    }

    @Test
    void formatsAsIsoInstantDoes() {
        Random r = new Random(3);
        long from = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
        long to = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
        for (int i = 0; i < 100_000; i++) {
            long second = from + (long) (r.nextDouble() * (to - from));
            int nanos = switch (i % 4) {
                case 0 -> 0;
                case 1 -> r.nextInt(1000) * 1_000_000;
                case 2 -> r.nextInt(1_000_000) * 1000;
                default -> r.nextInt(1_000_000_000);
            };
            Instant t = Instant.ofEpochSecond(second, nanos);
            assertThat(RfcInstants.format(t)).isEqualTo(DateTimeFormatter.ISO_INSTANT.format(t));
        }
        for (Instant t : new Instant[] {Instant.EPOCH, Instant.parse("2024-02-29T23:59:59.999999999Z"),
            Instant.parse("-0001-12-31T23:59:59Z"), Instant.parse("+10000-01-01T00:00:00Z"), Instant.MAX, Instant.MIN}) {
            assertThat(RfcInstants.format(t)).isEqualTo(DateTimeFormatter.ISO_INSTANT.format(t));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-02-30T00:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27T15:22:49", "2026-11-27 15:22:49Z",
        "2026-11-27T15:22:49.Z", "2026-11-27T15:22:49.1234567890Z", "+10000-01-01T00:00:00Z", "2026-11-27T15:22:4aZ"})
    void leavesEverythingElseToTheGeneralParser(String text) {
        assertThat(RfcInstants.parse(text)).isNull();
    }
}
