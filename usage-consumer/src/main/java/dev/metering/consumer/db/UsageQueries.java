package dev.metering.consumer.db;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

import org.jdbi.v3.core.Jdbi;

/**
 * Read side of the admin API: daily (this UTC day), monthly (this UTC month) and total spend,
 * always from the rollups, never by scanning the ledger. The summary is one grouped query.
 */
public final class UsageQueries {
    private static final String SUMMARY = """
            SELECT user_id,
                   COALESCE(SUM(cost_usd) FILTER (WHERE day = :today), 0)       AS daily,
                   COALESCE(SUM(cost_usd) FILTER (WHERE day >= :monthStart AND day < :nextMonth), 0) AS monthly,
                   SUM(cost_usd)                                                AS total
            FROM usage_rollups
            GROUP BY user_id
            ORDER BY user_id""";
    private static final String ONE_USER = """
            SELECT COALESCE(SUM(cost_usd) FILTER (WHERE day = :today), 0)       AS daily,
                   COALESCE(SUM(cost_usd) FILTER (WHERE day >= :monthStart AND day < :nextMonth), 0) AS monthly,
                   COALESCE(SUM(cost_usd), 0)                                   AS total
            FROM usage_rollups
            WHERE user_id = :userId""";

    private final Jdbi jdbi;
    private final Clock clock;

    public UsageQueries(Jdbi jdbi, Clock clock) {
        this.jdbi = jdbi;
        this.clock = clock;
    }

    /** Spend of one user, in USD. */
    public record Spend(BigDecimal daily, BigDecimal monthly, BigDecimal total) {
    }

    /** Spend of one user in the summary. */
    public record UserSpend(String userId, BigDecimal daily, BigDecimal monthly, BigDecimal total) {
    }

    public Spend user(String userId) {
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        return jdbi.withHandle(h -> h.createQuery(ONE_USER)
                .bind("userId", userId).bind("today", today).bind("monthStart", today.withDayOfMonth(1))
                .bind("nextMonth", today.withDayOfMonth(1).plusMonths(1))
                .map((rs, ctx) -> new Spend(rs.getBigDecimal("daily"), rs.getBigDecimal("monthly"), rs.getBigDecimal("total")))
                .one());
    }

    public List<UserSpend> summary() {
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        return jdbi.withHandle(h -> h.createQuery(SUMMARY)
                .bind("today", today).bind("monthStart", today.withDayOfMonth(1))
                .bind("nextMonth", today.withDayOfMonth(1).plusMonths(1))
                .map((rs, ctx) -> new UserSpend(rs.getString("user_id"), rs.getBigDecimal("daily"),
                        rs.getBigDecimal("monthly"), rs.getBigDecimal("total")))
                .list());
    }
}
