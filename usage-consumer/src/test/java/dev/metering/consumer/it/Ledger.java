package dev.metering.consumer.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import dev.metering.model.event.UsageEvent;
import dev.metering.model.money.Micros;
import dev.metering.testkit.TestDatabase;

/** The exact check: ledger rows and rollups against what was produced, to the micro-dollar. */
final class Ledger {
    private Ledger() {
    }

    static long rows(TestDatabase db) throws Exception {
        return single(db, "SELECT count(*) FROM api_usage");
    }

    static long single(TestDatabase db, String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Rollup key to (calls, tokens..., cost) as read from the database. */
    static Map<String, String> rollups(TestDatabase db) throws Exception {
        Map<String, String> out = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT user_id, day, model, calls, input_tokens, output_tokens, "
                        + "cache_read_tokens, cache_write_tokens, cost_usd FROM usage_rollups")) {
            while (rs.next()) {
                out.put(rs.getString(1) + "|" + rs.getDate(2).toLocalDate() + "|" + rs.getString(3),
                        rs.getLong(4) + "|" + rs.getLong(5) + "|" + rs.getLong(6) + "|" + rs.getLong(7) + "|"
                                + rs.getLong(8) + "|" + rs.getBigDecimal(9).setScale(6).toPlainString());
            }
        }
        return out;
    }

    /** The rollups that {@code events} (each counted once) must produce. */
    static Map<String, String> expectedRollups(Collection<UsageEvent> events) {
        Map<String, long[]> sums = new HashMap<>();
        for (UsageEvent e : events) {
            String key = e.userId() + "|" + e.occurredAt().atOffset(ZoneOffset.UTC).toLocalDate() + "|" + e.model();
            long[] s = sums.computeIfAbsent(key, k -> new long[6]);
            s[0]++;
            s[1] += e.inputTokens();
            s[2] += e.outputTokens();
            s[3] += e.cacheReadTokens();
            s[4] += e.cacheWriteTokens();
            s[5] += e.costMicros();
        }
        Map<String, String> out = new HashMap<>();
        sums.forEach((k, s) -> out.put(k, s[0] + "|" + s[1] + "|" + s[2] + "|" + s[3] + "|" + s[4] + "|"
                + Micros.toUsd(s[5]).toPlainString()));
        return out;
    }

    /** Every event once in the ledger, and rollups equal to the sum of the events, exactly. */
    static void assertExact(TestDatabase db, Collection<UsageEvent> uniqueEvents) throws Exception {
        assertThat(rows(db)).as("ledger rows").isEqualTo(uniqueEvents.size());
        assertThat(rollups(db)).as("rollups").isEqualTo(expectedRollups(uniqueEvents));
        BigDecimal total;
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COALESCE(sum(cost_usd), 0) FROM api_usage")) {
            rs.next();
            total = rs.getBigDecimal(1);
        }
        long expectedMicros = uniqueEvents.stream().mapToLong(UsageEvent::costMicros).sum();
        assertThat(total.setScale(6)).isEqualTo(Micros.toUsd(expectedMicros));
    }
}
