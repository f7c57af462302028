package dev.metering.model.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/** The hand-written id checks answer exactly as the published patterns do. */
class UsageEventIdCheckTest {
    private static final String ALPHABET = "0123456789abcdefABCDEFgxyzXYZ-._:/ \u00e9\0";

    @Test
    void eventIdCheckAgreesWithThePattern() {
        Random r = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            String s = i % 2 == 0 ? mutate(UUID.randomUUID().toString(), r) : random(r, r.nextInt(40));
            assertThat(UsageEvent.isEventId(s)).as(s).isEqualTo(UsageEvent.EVENT_ID.matcher(s).matches());
        }
        assertThat(UsageEvent.isEventId(UUID.randomUUID().toString())).isTrue();
        assertThat(UsageEvent.isEventId(UUID.randomUUID().toString().toUpperCase())).isFalse();
        assertThat(UsageEvent.isEventId(null)).isFalse();
    }

    @Test
    void edgeIdCheckAgreesWithThePattern() {
        Random r = new Random(11);
        for (int i = 0; i < 200_000; i++) {
            String s = random(r, r.nextInt(132));
            assertThat(UsageEvent.isEdgeId(s)).as(s).isEqualTo(UsageEvent.EDGE_ID.matcher(s).matches());
        }
        assertThat(UsageEvent.isEdgeId("a".repeat(128))).isTrue();
        assertThat(UsageEvent.isEdgeId("a".repeat(129))).isFalse();
        assertThat(UsageEvent.isEdgeId("")).isFalse();
        assertThat(UsageEvent.isEdgeId(null)).isFalse();
    }

    /** A UUID with one character replaced, removed or added now and then. */
    private static String mutate(String uuid, Random r) {
        StringBuilder sb = new StringBuilder(uuid);
        switch (r.nextInt(4)) {
            case 0 -> sb.setCharAt(r.nextInt(sb.length()), ALPHABET.charAt(r.nextInt(ALPHABET.length())));
            case 1 -> sb.deleteCharAt(r.nextInt(sb.length()));
            case 2 -> sb.insert(r.nextInt(sb.length()), ALPHABET.charAt(r.nextInt(ALPHABET.length())));
            default -> {
            }
        }
        return sb.toString();
    }

    /** Mostly characters the edge pattern allows, so that long valid ids come up too. */
    private static String random(Random r, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(r.nextInt(50) == 0 ? ALPHABET.charAt(r.nextInt(ALPHABET.length()))
                    : ALPHABET.charAt(r.nextInt(26)));
        }
        return sb.toString();
    }
}
