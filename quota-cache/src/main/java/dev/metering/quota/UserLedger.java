package dev.metering.quota;

import java.time.LocalDate;
import java.time.YearMonth;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

import dev.metering.model.quota.QuotaState;

/**
 * What one edge knows of one user: the last published state, this edge's own spend the state
 * does not cover yet, and the estimates of this edge's calls in flight. Own spend is kept as
 * running sums per UTC day and month, so admission costs the same however many calls are
 * waiting to be covered. Guarded by its own lock.
 *
 * <p>Memory stays bounded while no state covers this edge's calls (the consumer is down or
 * behind): a call waits by event id only until Kafka stores it, then as four numbers in
 * primitive arrays; when {@link #MAX_LOCATED} of those wait, they are folded into one floor per
 * partition that a state drops once its watermark passes the floor's highest offset. Until then
 * the folded spend counts as own spend even where a state already counts part of it, so a
 * lagging consumer can make the edge refuse a little early, never admit past a limit.
 */
final class UserLedger {
    /** Located calls held one by one, beyond which they are folded into floors. */
    static final int MAX_LOCATED = 1024;

    /** A call Kafka has not stored yet. */
    private record Unlocated(long micros, long epochDay) {
    }

    /** Folded calls of one partition: their spend per UTC day, and the highest offset among them. */
    private static final class Floor {
        long maxOffset = -1;
        final Map<Long, Long> microsByDay = new HashMap<>();
    }

    QuotaState state;
    long inFlightMicros;
    private final Map<String, Unlocated> unlocated = new HashMap<>();
    // Calls Kafka stored and no state covers yet, one per index below located.
    private long[] offsets = new long[16];
    private long[] micros = new long[16];
    private long[] epochDays = new long[16];
    private int[] partitions = new int[16];
    private int located;
    private final Map<Integer, Floor> floors = new HashMap<>();
    private final Map<Long, Long> daily = new HashMap<>();
    private final Map<YearMonth, Long> monthly = new HashMap<>();

    void add(String eventId, long costMicros, LocalDate day) {
        if (unlocated.putIfAbsent(eventId, new Unlocated(costMicros, day.toEpochDay())) == null) {
            count(day.toEpochDay(), costMicros);
        }
    }

    /** Kafka stored the event: once a state's watermark passes its offset, the state counts it. */
    void located(String eventId, int partition, long offset) {
        Unlocated u = unlocated.remove(eventId);
        if (u == null) {
            return;
        }
        if (state != null && partition == state.partition() && offset < state.watermark()) {
            count(u.epochDay, -u.micros);
            return;
        }
        if (located == MAX_LOCATED) {
            fold();
        }
        if (located == offsets.length) {
            int n = Math.min(MAX_LOCATED, located * 2);
            offsets = Arrays.copyOf(offsets, n);
            micros = Arrays.copyOf(micros, n);
            epochDays = Arrays.copyOf(epochDays, n);
            partitions = Arrays.copyOf(partitions, n);
        }
        offsets[located] = offset;
        micros[located] = u.micros;
        epochDays[located] = u.epochDay;
        partitions[located] = partition;
        located++;
    }

    /** Drops own spend the current state covers. */
    void dropCovered() {
        if (state == null) {
            return;
        }
        int p = state.partition();
        long watermark = state.watermark();
        int kept = 0;
        for (int i = 0; i < located; i++) {
            if (partitions[i] == p && offsets[i] < watermark) {
                count(epochDays[i], -micros[i]);
            } else {
                offsets[kept] = offsets[i];
                micros[kept] = micros[i];
                epochDays[kept] = epochDays[i];
                partitions[kept] = partitions[i];
                kept++;
            }
        }
        located = kept;
        Floor f = floors.get(p);
        if (f != null && f.maxOffset < watermark) {
            floors.remove(p);
            f.microsByDay.forEach((day, m) -> count(day, -m));
        }
    }

    /** Forgets spend of days and months that no longer count. */
    void forgetBefore(LocalDate today) {
        long todayEpoch = today.toEpochDay();
        daily.keySet().removeIf(d -> d < todayEpoch);
        YearMonth month = YearMonth.from(today);
        monthly.keySet().removeIf(m -> m.isBefore(month));
        long monthStart = month.atDay(1).toEpochDay();
        for (Iterator<Floor> it = floors.values().iterator(); it.hasNext();) {
            Floor f = it.next();
            f.microsByDay.keySet().removeIf(d -> d < monthStart);
            if (f.microsByDay.isEmpty()) {
                it.remove();
            }
        }
    }

    long ownSpentOn(LocalDate today) {
        return daily.getOrDefault(today.toEpochDay(), 0L);
    }

    long ownSpentIn(YearMonth month) {
        return monthly.getOrDefault(month, 0L);
    }

    /** How many calls are held one by one (waiting for Kafka or for a state); for tests. */
    int heldCalls() {
        return unlocated.size() + located;
    }

    private void fold() {
        for (int i = 0; i < located; i++) {
            Floor f = floors.computeIfAbsent(partitions[i], k -> new Floor());
            f.maxOffset = Math.max(f.maxOffset, offsets[i]);
            f.microsByDay.merge(epochDays[i], micros[i], Long::sum);
        }
        located = 0;
    }

    /**
     * Adds spend on a UTC day to the running sums, or (negative) takes it out again; a day or
     * month already forgotten stays forgotten.
     */
    private void count(long epochDay, long deltaMicros) {
        YearMonth month = YearMonth.from(LocalDate.ofEpochDay(epochDay));
        if (deltaMicros > 0) {
            daily.compute(epochDay, (d, v) -> sumOrNull(v, deltaMicros));
            monthly.compute(month, (m, v) -> sumOrNull(v, deltaMicros));
        } else {
            daily.computeIfPresent(epochDay, (d, v) -> sumOrNull(v, deltaMicros));
            monthly.computeIfPresent(month, (m, v) -> sumOrNull(v, deltaMicros));
        }
    }

    private static Long sumOrNull(Long current, long delta) {
        long sum = (current == null ? 0 : current) + delta;
        return sum == 0 ? null : sum;
    }
}
