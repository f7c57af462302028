package dev.metering.distro.reliability;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The check that closes every scenario: each call whose response completed has exactly one
 * ledger row, no call has two, and the rollups equal the sum of the per-call costs to the
 * micro-dollar.
 */
final class LedgerCheck {
    /** One line of the table. */
    record Row(String scenario, int calls, long completed, long ledgerRows, long lost, long doubled, boolean rollupsExact) {
        boolean ok() {
            return lost == 0 && doubled == 0 && rollupsExact;
        }
    }

    private LedgerCheck() {
    }

    /** Waits (bounded) until every completed call is in the ledger or nothing changes any more, then checks. */
    static Row run(Cluster cluster, Calls calls, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        Map<String, Long> rows = rowsBySession(cluster, calls.prefix());
        while (System.nanoTime() < deadline && missing(calls, rows) > 0) {
            Thread.sleep(250);
            rows = rowsBySession(cluster, calls.prefix());
        }
        Thread.sleep(1000); // a late duplicate would land now
        rows = rowsBySession(cluster, calls.prefix());
        long ledgerRows = rows.values().stream().mapToLong(Long::longValue).sum();
        long doubled = rows.values().stream().filter(n -> n > 1).count();
        boolean exact = cluster.single("SELECT ((SELECT COALESCE(sum(cost_usd), 0) FROM api_usage) = "
                + "(SELECT COALESCE(sum(cost_usd), 0) FROM usage_rollups) AND (SELECT count(*) FROM api_usage) = "
                + "(SELECT COALESCE(sum(calls), 0) FROM usage_rollups))::int") == 1;
        return new Row(calls.scenario, calls.completed.size(), calls.completedCount(), ledgerRows,
                missing(calls, rows), doubled, exact);
    }

    private static long missing(Calls calls, Map<String, Long> rows) {
        return calls.completed.entrySet().stream().filter(e -> e.getValue() && !rows.containsKey(e.getKey())).count();
    }

    private static Map<String, Long> rowsBySession(Cluster cluster, String prefix) throws Exception {
        Map<String, Long> out = new HashMap<>();
        try (Connection c = cluster.db(); PreparedStatement ps = c.prepareStatement(
                "SELECT session_id, count(*) FROM api_usage WHERE session_id LIKE ? GROUP BY session_id")) {
            ps.setString(1, prefix + "%");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
        } catch (java.sql.SQLException e) {
            return out; // PostgreSQL restarting: nothing seen this time
        }
        return out;
    }

    static String table(Iterable<Row> rows) {
        StringBuilder sb = new StringBuilder("\n| scenario | calls | completed | ledger rows | lost | doubled | rollups exact |\n"
                + "|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append(String.format("| %s | %d | %d | %d | %d | %d | %s |%n", r.scenario(), r.calls(), r.completed(),
                    r.ledgerRows(), r.lost(), r.doubled(), r.rollupsExact() ? "yes" : "NO"));
        }
        return sb.toString();
    }
}
