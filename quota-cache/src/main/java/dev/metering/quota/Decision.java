package dev.metering.quota;

import java.util.OptionalLong;

/** The outcome of asking whether a call may start. */
public sealed interface Decision {

    /** The call may go; its estimate is reserved until {@link QuotaCache#settle} or {@link QuotaCache#release}. */
    record Allowed(Reservation reservation, boolean onStaleState) implements Decision {
    }

    /** Over a limit: the figures for the 429 body, in micro-USD; an empty limit means none. */
    record Refused(long dailyUsedMicros, OptionalLong dailyLimitMicros, long monthlyUsedMicros,
            OptionalLong monthlyLimitMicros) implements Decision {
    }

    /** State is too old and the fail mode is closed: answer 503. */
    record Unavailable(String reason) implements Decision {
    }
}
