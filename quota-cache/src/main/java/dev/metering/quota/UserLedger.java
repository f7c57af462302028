package dev.metering.quota;

import java.time.LocalDate;
import java.time.YearMonth;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

import dev.metering.model.quota.QuotaState;

/**
 * What one edge knows of one user: the last published state, this edge's own spend the state
 * does not cover yet, and the estimates of this edge's calls in flight. Own spend is kept as
 * running sums per UTC day and month, so admission costs the same however many calls are
 * waiting to be covered; entries are indexed by offset, so a new watermark drops the covered
 * ones without a scan. Guarded by its own lock.
 */
final class UserLedger {
    /** One of this edge's calls, until a published state covers it. */
    private static final class Spend {
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
    private final Map<String, Spend> byEvent = new HashMap<>();
    private final TreeMap<Long, String> byOffset = new TreeMap<>();
    private final Map<LocalDate, Long> daily = new HashMap<>();
    private final Map<YearMonth, Long> monthly = new HashMap<>();

    void add(String eventId, long micros, LocalDate day) {
        if (byEvent.putIfAbsent(eventId, new Spend(micros, day)) == null) {
            daily.merge(day, micros, Long::sum);
            monthly.merge(YearMonth.from(day), micros, Long::sum);
        }
    }

    /** Kafka stored the event: once a state's watermark passes its offset, the state counts it. */
    void located(String eventId, int partition, long offset) {
        Spend s = byEvent.get(eventId);
        if (s == null) {
            return;
        }
        s.partition = partition;
        s.offset = offset;
        if (covered(s)) {
            remove(eventId);
        } else {
            byOffset.put(offset, eventId);
        }
    }

    /** Drops own spend the current state covers. */
    void dropCovered() {
        if (state == null) {
            return;
        }
        var head = byOffset.headMap(state.watermark(), false);
        for (Iterator<String> it = head.values().iterator(); it.hasNext();) {
            String eventId = it.next();
            Spend s = byEvent.get(eventId);
            if (s != null && s.partition == state.partition()) {
                it.remove();
                remove(eventId);
            }
        }
    }

    /** Forgets sums of days and months that no longer count. */
    void forgetBefore(LocalDate today) {
        daily.keySet().removeIf(d -> d.isBefore(today));
        monthly.keySet().removeIf(m -> m.isBefore(YearMonth.from(today)));
    }

    long ownSpentOn(LocalDate today) {
        return daily.getOrDefault(today, 0L);
    }

    long ownSpentIn(YearMonth month) {
        return monthly.getOrDefault(month, 0L);
    }

    private boolean covered(Spend s) {
        return state != null && s.offset >= 0 && s.partition == state.partition() && s.offset < state.watermark();
    }

    private void remove(String eventId) {
        Spend s = byEvent.remove(eventId);
        if (s == null) {
            return;
        }
        if (s.offset >= 0) {
            byOffset.remove(s.offset, eventId);
        }
        daily.computeIfPresent(s.day, (d, v) -> v - s.micros == 0 ? null : v - s.micros);
        monthly.computeIfPresent(YearMonth.from(s.day), (m, v) -> v - s.micros == 0 ? null : v - s.micros);
    }
}
