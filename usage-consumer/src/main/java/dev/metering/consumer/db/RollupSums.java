package dev.metering.consumer.db;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.metering.model.event.UsageEvent;

/** A batch's events summed per user, UTC day and model: what the batch adds to the rollups. */
final class RollupSums {
    private RollupSums() {
    }

    /** The sums of one rollup row. */
    record Row(String userId, LocalDate day, String model, long calls, long inputTokens, long outputTokens,
            long cacheReadTokens, long cacheWriteTokens, long costMicros) {
        Row plus(UsageEvent e) {
            return new Row(userId, day, model, calls + 1, Math.addExact(inputTokens, e.inputTokens()),
                    Math.addExact(outputTokens, e.outputTokens()), Math.addExact(cacheReadTokens, e.cacheReadTokens()),
                    Math.addExact(cacheWriteTokens, e.cacheWriteTokens()), Math.addExact(costMicros, e.costMicros()));
        }
    }

    private record Key(String userId, LocalDate day, String model) {
    }

    /**
     * The UTC date of {@code t}. Arithmetic on the epoch second: {@code LocalDate.ofInstant} with
     * {@code ZoneOffset.UTC} builds new zone rules on every call, which showed in the profile.
     */
    static LocalDate utcDay(Instant t) {
        return LocalDate.ofEpochDay(Math.floorDiv(t.getEpochSecond(), 86_400));
    }

    /**
     * The rows {@code events} add to, or empty when they cannot be summed here exactly: a sum does
     * not fit in a long (PostgreSQL's numeric columns judge then), or a time has more than
     * microsecond precision (PostgreSQL rounds it, which can move it to the next day).
     */
    static Optional<Collection<Row>> of(List<UsageEvent> events) {
        Map<Key, Row> rows = new HashMap<>();
        try {
            for (UsageEvent e : events) {
                if (e.occurredAt().getNano() % 1000 != 0) {
                    return Optional.empty();
                }
                LocalDate day = utcDay(e.occurredAt());
                Key k = new Key(e.userId(), day, e.model());
                Row r = rows.get(k);
                rows.put(k, (r == null ? new Row(e.userId(), day, e.model(), 0, 0, 0, 0, 0, 0) : r).plus(e));
            }
        } catch (ArithmeticException tooLarge) {
            return Optional.empty();
        }
        return Optional.of(rows.values());
    }
}
