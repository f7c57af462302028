package dev.metering.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

import dev.metering.model.quota.QuotaState;

class QuotaCacheTest {
    /** A clock the test moves. */
    static final class TestClock extends Clock {
        Instant now = Instant.parse("2026-11-27T12:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final TestClock clock = new TestClock();
    private final QuotaCache cache = new QuotaCache(clock, Duration.ofSeconds(30), FailMode.OPEN);

    private QuotaState state(String user, long dailyLimit, long spent, long watermark) {
        LocalDate day = LocalDate.ofInstant(clock.now, ZoneOffset.UTC);
        return new QuotaState(user, OptionalLong.of(dailyLimit), OptionalLong.empty(), 1, day, spent, YearMonth.from(day),
                spent, 0, watermark, clock.now);
    }

    private void settled(String user, String eventId, long cost) {
        Decision d = cache.admit(user, 0);
        assertThat(d).isInstanceOf(Decision.Allowed.class);
        cache.settle(((Decision.Allowed) d).reservation(), eventId, cost, clock.now);
    }

    @Test
    void firstRefusalComesOnTheFirstCallAfterSpendReachedTheLimit() {
        cache.markReady();
        cache.apply(state("alice", 1000, 0, 0));
        int allowed = 0;
        for (int i = 0; i < 10; i++) {
            Decision d = cache.admit("alice", 50);
            if (d instanceof Decision.Refused refused) {
                assertThat(refused.dailyUsedMicros()).isEqualTo(1200);
                assertThat(refused.dailyLimitMicros()).hasValue(1000);
                break;
            }
            cache.settle(((Decision.Allowed) d).reservation(), "e" + i, 300, clock.now);
            allowed++;
        }
        assertThat(allowed).as("0, 300, 600 and 900 are under 1000; 1200 is not").isEqualTo(4);
    }

    @Test
    void aCallsOwnEstimateDoesNotCountAgainstItself() {
        cache.markReady();
        cache.apply(state("alice", 100, 0, 0));
        assertThat(cache.admit("alice", 1_000_000)).isInstanceOf(Decision.Allowed.class);
    }

    @Test
    void estimatesOfCallsInFlightCountForOthersUntilTheySettle() {
        cache.markReady();
        cache.apply(state("alice", 1000, 0, 0));
        Decision.Allowed first = (Decision.Allowed) cache.admit("alice", 600);
        assertThat(cache.admit("alice", 600)).isInstanceOf(Decision.Allowed.class); // 600 < 1000
        assertThat(cache.admit("alice", 600)).isInstanceOf(Decision.Refused.class); // 1200
        cache.release(first.reservation());
        cache.release(first.reservation()); // twice is harmless
        assertThat(cache.admit("alice", 600)).isInstanceOf(Decision.Allowed.class); // 600 again
    }

    @Test
    void ownSpendCountsUntilAPublishedStateCoversItAndNeverTwice() {
        cache.markReady();
        cache.apply(state("alice", 1000, 0, 0));
        settled("alice", "e1", 700);
        settled("alice", "e2", 200);
        assertThat(used("alice")).isEqualTo(900);

        cache.delivered("alice", "e1", 0, 10);
        cache.apply(state("alice", 1000, 700, 11)); // the consumer counted e1 (offset 10)
        assertThat(used("alice")).as("e1 from the state, e2 still own").isEqualTo(900);

        cache.apply(state("alice", 1000, 900, 12)); // e2 (offset 11) counted before the edge learned its offset
        assertThat(used("alice")).as("e2 in the state and still own until its offset is known").isEqualTo(1100);
        cache.delivered("alice", "e2", 0, 11);
        assertThat(used("alice")).isEqualTo(900);
    }

    @Test
    void aUserOverTheDailyLimitIsAllowedAgainAfterTheUtcDayRollsOver() {
        cache.markReady();
        cache.apply(state("alice", 1000, 1500, 5));
        assertThat(cache.admit("alice", 1)).isInstanceOf(Decision.Refused.class);
        clock.now = Instant.parse("2026-11-28T00:00:00Z");
        cache.heartbeat();
        assertThat(cache.admit("alice", 1)).isInstanceOf(Decision.Allowed.class);
    }

    @Test
    void ownSpendOfYesterdayDoesNotCountToday() {
        cache.markReady();
        cache.apply(state("alice", 1000, 0, 0));
        settled("alice", "e1", 999);
        clock.now = Instant.parse("2026-11-28T00:00:01Z");
        cache.heartbeat();
        assertThat(used("alice")).isZero();
    }

    @Test
    void staleStateFollowsTheFailMode() {
        QuotaCache closed = new QuotaCache(clock, Duration.ofSeconds(30), FailMode.CLOSED);
        assertThat(closed.admit("alice", 1)).as("still loading").isInstanceOf(Decision.Unavailable.class);
        closed.markReady();
        closed.apply(state("alice", 1000, 5000, 0));
        assertThat(closed.admit("alice", 1)).isInstanceOf(Decision.Refused.class);
        clock.now = clock.now.plusSeconds(31);
        assertThat(closed.admit("alice", 1)).isInstanceOf(Decision.Unavailable.class);
        assertThat(closed.staleDecisions()).isEqualTo(2);

        cache.markReady();
        cache.apply(state("bob", 1000, 5000, 0));
        clock.now = clock.now.plusSeconds(31);
        Decision open = cache.admit("bob", 1);
        assertThat(open).isInstanceOf(Decision.Allowed.class);
        assertThat(((Decision.Allowed) open).onStaleState()).isTrue();
        assertThat(cache.staleDecisions()).isEqualTo(1);
    }

    @Test
    void aLateStateWithOlderSpendKeepsTheNewerSpendButTakesNewerLimits() {
        cache.markReady();
        cache.apply(state("alice", 1000, 800, 20));
        LocalDate day = LocalDate.ofInstant(clock.now, ZoneOffset.UTC);
        // a quota change read before the last batch, published after it
        cache.apply(new QuotaState("alice", OptionalLong.of(5000), OptionalLong.empty(), 7, day, 100,
                YearMonth.from(day), 100, 0, 12, clock.now));
        Decision.Refused probe = (Decision.Refused) new QuotaCacheProbe(cache).usedAt("alice");
        assertThat(probe.dailyUsedMicros()).isEqualTo(800);
        assertThat(cache.ledgerState("alice").dailyLimitMicros()).hasValue(5000);
    }

    @Test
    void aUserWithoutStateOrLimitsIsAllowed() {
        cache.markReady();
        assertThat(cache.admit("nobody", 1_000_000)).isInstanceOf(Decision.Allowed.class);
    }

    private long used(String user) {
        return ((Decision.Refused) new QuotaCacheProbe(cache).usedAt(user)).dailyUsedMicros();
    }
}
