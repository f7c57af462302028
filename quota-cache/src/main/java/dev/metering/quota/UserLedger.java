package dev.metering.quota;

import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import dev.metering.model.quota.QuotaState;

/**
 * What one edge knows of one user: the last published state, this edge's own spend the state
 * does not cover yet, and the estimates of this edge's calls in flight. Own spend is kept as
 * running sums per UTC day and month, so admission costs the same however many calls are
 * waiting to be covered. Guarded by its own lock.
 *
 * <p>While a state lags behind this edge's calls (the consumer is behind or down), what is held
 * per call stays small and bounded: a call waits by event id until Kafka stores it (these are
 * bounded by the spool only), then as four numbers in primitive arrays. Past
 * {@link #MAX_LOCATED} such calls, the oldest {@link #FOLD} are folded into a floor: their spend
 * per UTC day and their highest offset, dropped once a state's watermark passes that offset. A
 * floor a watermark has only partly passed still counts in full, so a lagging consumer can make
 * the edge refuse a little early (by at most one floor's spend), never admit past a limit. Past
 * {@link #MAX_FLOORS} floors, the two successive floors of a partition holding the fewest calls
 * between them merge, so floors stay about equal and none keeps moving ahead of the watermark:
 * one floor is {@link #FOLD} calls while the consumer is less than about 9,000 calls behind, and
 * about a 32nd of its lag beyond.
 */
final class UserLedger {
    /** Located calls held one by one. */
    static final int MAX_LOCATED = 1024;
    /** How many of the oldest located calls one floor takes. */
    static final int FOLD = 128;
    /** Floors held before two merge. */
    static final int MAX_FLOORS = 64;

    /** A call Kafka has not stored yet. */
    private record Unlocated(long micros, long epochDay) {
    }

    /** Folded calls of one partition: their spend per UTC day, and the highest offset among them. */
    private static final class Floor {
        final int partition;
        long maxOffset = -1;
        int calls;
        final Map<Long, Long> microsByDay = new HashMap<>();

        Floor(int partition) {
            this.partition = partition;
        }

        void take(long offset, long epochDay, long micros) {
            maxOffset = Math.max(maxOffset, offset);
            microsByDay.merge(epochDay, micros, Long::sum);
            calls++;
        }

        void absorb(Floor other) {
            maxOffset = Math.max(maxOffset, other.maxOffset);
            other.microsByDay.forEach((day, m) -> microsByDay.merge(day, m, Long::sum));
            calls += other.calls;
        }
    }

    QuotaState state;
    long inFlightMicros;
    private final Map<String, Unlocated> unlocated = new HashMap<>();
    // Calls Kafka stored and no state covers yet, oldest first; allocated on first use, released
    // when a backlog of more than 64 is gone.
    private long[] offsets;
    private long[] micros;
    private long[] epochDays;
    private int[] partitions;
    private int located;
    private final List<Floor> floors = new ArrayList<>(); // oldest first
    private long forgottenBefore = Long.MIN_VALUE;
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
            foldOldest();
        }
        if (offsets == null || located == offsets.length) {
            int n = offsets == null ? 16 : Math.min(MAX_LOCATED, located * 2);
            offsets = offsets == null ? new long[n] : Arrays.copyOf(offsets, n);
            micros = micros == null ? new long[n] : Arrays.copyOf(micros, n);
            epochDays = epochDays == null ? new long[n] : Arrays.copyOf(epochDays, n);
            partitions = partitions == null ? new int[n] : Arrays.copyOf(partitions, n);
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
                move(i, kept++);
            }
        }
        located = kept;
        if (located == 0 && offsets != null && offsets.length > 64) { // a backlog is gone: give its room back
            offsets = null;
            micros = null;
            epochDays = null;
            partitions = null;
        }
        for (Iterator<Floor> it = floors.iterator(); it.hasNext();) {
            Floor f = it.next();
            if (f.partition == p && f.maxOffset < watermark) {
                it.remove();
                f.microsByDay.forEach((day, m) -> count(day, -m));
            }
        }
    }

    /** Forgets spend of days and months that no longer count. */
    void forgetBefore(LocalDate today) {
        long todayEpoch = today.toEpochDay();
        if (todayEpoch == forgottenBefore) {
            return; // once a day is enough; only today and this month are read
        }
        forgottenBefore = todayEpoch;
        daily.keySet().removeIf(d -> d < todayEpoch);
        YearMonth month = YearMonth.from(today);
        monthly.keySet().removeIf(m -> m.isBefore(month));
        long monthStart = month.atDay(1).toEpochDay();
        for (Iterator<Floor> it = floors.iterator(); it.hasNext();) {
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

    /** How many floors are held; for tests. */
    int heldFloors() {
        return floors.size();
    }

    /** Folds the {@link #FOLD} oldest located calls into new floors, one per partition among them. */
    private void foldOldest() {
        Map<Integer, Floor> byPartition = new HashMap<>(2);
        for (int i = 0; i < FOLD; i++) {
            byPartition.computeIfAbsent(partitions[i], Floor::new).take(offsets[i], epochDays[i], micros[i]);
        }
        floors.addAll(byPartition.values());
        System.arraycopy(offsets, FOLD, offsets, 0, located - FOLD);
        System.arraycopy(micros, FOLD, micros, 0, located - FOLD);
        System.arraycopy(epochDays, FOLD, epochDays, 0, located - FOLD);
        System.arraycopy(partitions, FOLD, partitions, 0, located - FOLD);
        located -= FOLD;
        while (floors.size() > MAX_FLOORS && mergeSmallestPair()) {
            // each merge removes a floor
        }
    }

    /**
     * Merges the two successive floors of one partition that hold the fewest calls between them
     * (the older of equal pairs); false when no partition has two.
     */
    private boolean mergeSmallestPair() {
        int best = -1;
        int bestNext = -1;
        long bestCalls = Long.MAX_VALUE;
        for (int i = 0; i < floors.size(); i++) {
            Floor f = floors.get(i);
            for (int j = i + 1; j < floors.size(); j++) {
                Floor g = floors.get(j);
                if (g.partition == f.partition) {
                    if ((long) f.calls + g.calls < bestCalls) {
                        bestCalls = (long) f.calls + g.calls;
                        best = i;
                        bestNext = j;
                    }
                    break;
                }
            }
        }
        if (best < 0) {
            return false;
        }
        floors.get(best).absorb(floors.remove(bestNext));
        return true;
    }

    private void move(int from, int to) {
        offsets[to] = offsets[from];
        micros[to] = micros[from];
        epochDays[to] = epochDays[from];
        partitions[to] = partitions[from];
    }

    /**
     * Adds spend on a UTC day to the running sums, or (negative) takes it out again. Taking out
     * spend of a day or month already forgotten changes nothing; only today and this month are
     * read, and {@link #forgetBefore} prunes the rest.
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
