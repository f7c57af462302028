package dev.metering.model.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class EventIdsTest {

    @Test
    void areVersionSevenVariantTwoAndMatchTheSchemaPattern() {
        String id = EventIds.next();
        UUID u = UUID.fromString(id);
        assertThat(u.version()).isEqualTo(7);
        assertThat(u.variant()).isEqualTo(2);
        assertThat(UsageEvent.EVENT_ID.matcher(id).matches()).isTrue();
    }

    @Test
    void carryTheirMillisecondSoLaterIdsSortAfterEarlierOnes() {
        UUID earlier = EventIds.next(1_700_000_000_000L);
        UUID later = EventIds.next(1_700_000_000_001L);
        assertThat(earlier.getMostSignificantBits() >>> 16).isEqualTo(1_700_000_000_000L);
        assertThat(later.toString()).isGreaterThan(earlier.toString());
    }

    @Test
    void doNotRepeat() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200_000; i++) {
            assertThat(seen.add(EventIds.next())).isTrue();
        }
    }
}
