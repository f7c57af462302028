package dev.metering.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

import dev.metering.model.quota.QuotaState;

/** Own spend waiting for a state: exact sums, and memory that stays bounded while the consumer is away. */
class UserLedgerTest {
    private static final LocalDate TODAY = LocalDate.parse("2026-11-27");
    private static final int N = UserLedger.MAX_LOCATED;

    private final UserLedger ledger = new UserLedger();

    private void cover(int partition, long watermark) {
        ledger.state = new QuotaState("alice", OptionalLong.empty(), OptionalLong.empty(), 1, TODAY, 0,
                YearMonth.from(TODAY), 0, partition, watermark, Instant.parse("2026-11-27T12:00:00Z"));
        ledger.dropCovered();
    }

    /** A call of {@code micros} that Kafka stored at {@code offset} of partition 0. */
    private void call(long offset, long micros, LocalDate day) {
        ledger.add("e" + offset, micros, day);
        ledger.located("e" + offset, 0, offset);
    }

    @Test
    void callsNoStateCoversAreHeldInBoundedMemoryAndStillCountedExactly() {
        cover(0, 0);
        for (long offset = 0; offset < 20L * N; offset++) {
            call(offset, 3, TODAY);
        }
        assertThat(ledger.heldCalls()).isLessThanOrEqualTo(N);
        assertThat(ledger.heldFloors()).isLessThanOrEqualTo(UserLedger.MAX_FLOORS);
        assertThat(ledger.ownSpentOn(TODAY)).isEqualTo(60L * N);
        assertThat(ledger.ownSpentIn(YearMonth.from(TODAY))).isEqualTo(60L * N);

        cover(0, 20L * N);
        assertThat(ledger.heldCalls()).isZero();
        assertThat(ledger.heldFloors()).isZero();
        assertThat(ledger.ownSpentOn(TODAY)).isZero();
        assertThat(ledger.ownSpentIn(YearMonth.from(TODAY))).isZero();
    }

    @Test
    void belowTheBoundAStateDropsExactlyTheCallsBelowItsWatermark() {
        cover(0, 0);
        for (long offset = 0; offset < 10; offset++) {
            call(offset, 1, TODAY);
        }
        cover(0, 4);
        assertThat(ledger.ownSpentOn(TODAY)).isEqualTo(6);
        cover(1, 100); // another partition's state covers none of them
        assertThat(ledger.ownSpentOn(TODAY)).isEqualTo(6);
    }

    @Test
    void aFloorCountsInFullUntilAWatermarkPassesItsHighestOffset() {
        cover(0, 0);
        for (long offset = 0; offset <= N; offset++) { // N held; the next folds the oldest FOLD of them
            call(offset, 1, TODAY);
        }
        assertThat(ledger.heldFloors()).isEqualTo(1);
        cover(0, UserLedger.FOLD / 2); // counts half the floor's calls: the edge still counts them all
        assertThat(ledger.ownSpentOn(TODAY)).isEqualTo(N + 1);
        cover(0, UserLedger.FOLD); // past the floor: exact again
        assertThat(ledger.ownSpentOn(TODAY)).isEqualTo(N + 1 - UserLedger.FOLD);
        cover(0, N / 2);
        assertThat(ledger.ownSpentOn(TODAY)).isEqualTo(N + 1 - N / 2);
        cover(0, N + 1);
        assertThat(ledger.ownSpentOn(TODAY)).isZero();
    }

    @Test
    void aConsumerThatStaysALittleBehindCostsAtMostOneFoldOfEarlyCounting() {
        followWithLag(2 * N, 20L * N, UserLedger.FOLD);
    }

    @Test
    void aConsumerFarBehindCostsAboutAThirtySecondOfItsLagAndNoFloorRunsAhead() {
        int lag = 12 * N; // more than MAX_LOCATED + MAX_FLOORS * FOLD: floors merge
        followWithLag(lag, 40L * N, lag / 16);
    }

    /**
     * Calls at offsets 0, 1, 2, ... while states trail {@code lag} calls behind (a state every 200
     * calls, so watermarks fall inside floors too): own spend is the uncovered calls plus at most
     * {@code slack} counted early.
     */
    private void followWithLag(int lag, long calls, long slack) {
        cover(0, 0);
        for (long offset = 0; offset < calls; offset++) {
            call(offset, 1, TODAY);
            if ((offset + 1) % 200 == 0 && offset + 1 > lag) {
                cover(0, offset + 1 - lag);
                assertThat(ledger.ownSpentOn(TODAY)).as("after offset %d", offset).isBetween((long) lag, lag + slack);
                assertThat(ledger.heldCalls()).isLessThanOrEqualTo(N);
                assertThat(ledger.heldFloors()).isLessThanOrEqualTo(UserLedger.MAX_FLOORS);
            }
        }
        cover(0, calls);
        assertThat(ledger.ownSpentOn(TODAY)).isZero();
        assertThat(ledger.heldFloors()).isZero();
    }

    @Test
    void aCallStoredBelowTheWatermarkOfTheStateAlreadyThereIsNotOwnSpend() {
        cover(0, 50);
        ledger.add("late", 7, TODAY);
        assertThat(ledger.ownSpentOn(TODAY)).isEqualTo(7);
        ledger.located("late", 0, 49);
        assertThat(ledger.ownSpentOn(TODAY)).isZero();
        assertThat(ledger.heldCalls()).isZero();
    }

    @Test
    void floorsOfAnEarlierMonthAreForgottenAndYesterdaysStillCountForTheMonth() {
        cover(0, 0);
        LocalDate lastMonth = TODAY.minusMonths(1);
        for (long offset = 0; offset < 2L * N; offset++) {
            call(offset, 1, lastMonth);
        }
        assertThat(ledger.heldFloors()).isPositive();
        ledger.forgetBefore(TODAY);
        assertThat(ledger.heldFloors()).isZero();
        assertThat(ledger.ownSpentIn(YearMonth.from(lastMonth))).isZero();

        LocalDate yesterday = TODAY.minusDays(1);
        for (long offset = 2L * N; offset < 4L * N; offset++) {
            call(offset, 2, yesterday);
        }
        ledger.forgetBefore(TODAY);
        assertThat(ledger.ownSpentOn(TODAY)).isZero();
        assertThat(ledger.ownSpentIn(YearMonth.from(TODAY))).isEqualTo(4L * N);
        cover(0, 4L * N);
        assertThat(ledger.ownSpentIn(YearMonth.from(TODAY))).isZero();
        assertThat(ledger.heldFloors()).isZero();
        call(5L * N, 5, TODAY);
        assertThat(ledger.ownSpentOn(TODAY)).isEqualTo(5);
        assertThat(ledger.ownSpentIn(YearMonth.from(TODAY))).isEqualTo(5);
    }
}
