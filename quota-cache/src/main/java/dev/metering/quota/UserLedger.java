package dev.metering.quota;

import java.time.LocalDate;
import java.time.YearMonth;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

import dev.metering.model.quota.QuotaState;

/**
 * What one edge knows of one user: the last published state, this edge's own spend the state
 * does not cover yet, and the estimates of this edge's calls in flight. Guarded by its own lock.
 */
final class UserLedger {
    /** One of this edge's calls, until a published state covers it. */
    static final class Spend {
        final long micros;
        final LocalDate day;
        int partition = -1;
        long offset = -1;

        Spend(long micros, LocalDate day) {
            this.micros = micros;
            this.day = day;
        }
    }

    QuotaState state;
    long inFlightMicros;
    final Map<String, Spend> own = new HashMap<>();

    long ownSpentOn(LocalDate today) {
        long sum = 0;
        for (Spend s : own.values()) {
            if (s.day.equals(today)) {
                sum += s.micros;
            }
        }
        return sum;
    }

    long ownSpentIn(YearMonth month) {
        long sum = 0;
        for (Spend s : own.values()) {
            if (YearMonth.from(s.day).equals(month)) {
                sum += s.micros;
            }
        }
        return sum;
    }

    /** Drops own spend the state now covers, and spend from months that no longer count. */
    void prune(YearMonth thisMonth) {
        for (Iterator<Spend> it = own.values().iterator(); it.hasNext();) {
            Spend s = it.next();
            if (covered(s) || YearMonth.from(s.day).isBefore(thisMonth)) {
                it.remove();
            }
        }
    }

    boolean covered(Spend s) {
        return state != null && s.offset >= 0 && s.partition == state.partition() && s.offset < state.watermark();
    }
}
