package dev.metering.model.quota;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.OptionalLong;

/**
 * One user's quota state, as the consumer publishes it to the compacted {@code quota-state}
 * topic (key: the user id): the limits, the spend of the UTC day and month it refers to, and the
 * watermark, the offset up to which the user's partition of {@code usage-events} is reflected.
 * An edge adds its own spend that the watermark does not cover yet. Money is micro-USD; an empty
 * limit means none. {@code limitsVersion} orders limit changes (the time they were stored, in
 * epoch microseconds; 0 for none), since a state with newer spend may carry older limits.
 */
public record QuotaState(
        String userId,
        OptionalLong dailyLimitMicros,
        OptionalLong monthlyLimitMicros,
        long limitsVersion,
        LocalDate day,
        long dailySpentMicros,
        YearMonth month,
        long monthlySpentMicros,
        int partition,
        long watermark,
        Instant publishedAt) {

    public QuotaState {
        if (userId == null || userId.isEmpty()) {
            throw new IllegalArgumentException("userId is empty");
        }
        if (dailySpentMicros < 0 || monthlySpentMicros < 0) {
            throw new IllegalArgumentException("spend must be >= 0");
        }
    }

    /**
     * Combines this state with a newer record for the same user: limits from whichever has the
     * newer limits, spend from whichever covers more of the user's partition.
     */
    public QuotaState mergeNewer(QuotaState next) {
        boolean nextLimits = next.limitsVersion >= limitsVersion;
        boolean nextSpend = next.partition != partition || next.watermark >= watermark;
        QuotaState limits = nextLimits ? next : this;
        QuotaState spend = nextSpend ? next : this;
        return new QuotaState(userId, limits.dailyLimitMicros, limits.monthlyLimitMicros, limits.limitsVersion,
                spend.day, spend.dailySpentMicros, spend.month, spend.monthlySpentMicros, spend.partition,
                spend.watermark, next.publishedAt);
    }

    /** The daily spend as of {@code today}: nothing yet when the state is from an earlier day. */
    public long dailySpentOn(LocalDate today) {
        return day.equals(today) ? dailySpentMicros : 0;
    }

    /** The monthly spend as of {@code thisMonth}. */
    public long monthlySpentIn(YearMonth thisMonth) {
        return month.equals(thisMonth) ? monthlySpentMicros : 0;
    }
}
