package dev.metering.consumer.quota;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

import org.jdbi.v3.core.Handle;

import dev.metering.model.money.Micros;
import dev.metering.model.quota.QuotaState;

/**
 * Reads users' quota states from PostgreSQL: limits from {@code user_quotas}, the spend of this
 * UTC day and month from the rollups, in one query for any number of users.
 */
final class QuotaStates {
    private static final String QUERY = """
            SELECT u.user_id, q.daily_limit_usd, q.monthly_limit_usd, q.updated_at,
                   COALESCE((SELECT sum(r.cost_usd) FROM usage_rollups r
                             WHERE r.user_id = u.user_id AND r.day = :today), 0)       AS daily,
                   COALESCE((SELECT sum(r.cost_usd) FROM usage_rollups r
                             WHERE r.user_id = u.user_id AND r.day >= :monthStart
                               AND r.day < :nextMonth), 0)                        AS monthly
            FROM unnest(:users) AS u(user_id)
            LEFT JOIN user_quotas q ON q.user_id = u.user_id AND q.enabled""";

    private QuotaStates() {
    }

    static List<QuotaState> read(Handle h, Collection<String> users, Clock clock, ToIntFunction<String> partition,
            ToLongFunction<String> watermark) {
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        Instant now = clock.instant();
        return h.createQuery(QUERY)
                .bind("users", users.toArray(new String[0]))
                .bind("today", today)
                .bind("monthStart", today.withDayOfMonth(1))
                .bind("nextMonth", today.withDayOfMonth(1).plusMonths(1))
                .map((rs, ctx) -> {
                    String user = rs.getString("user_id");
                    Timestamp updated = rs.getTimestamp("updated_at");
                    long version = updated == null ? 0
                            : updated.toInstant().getEpochSecond() * 1_000_000 + updated.toInstant().getNano() / 1000;
                    return new QuotaState(user, micros(rs.getBigDecimal("daily_limit_usd")),
                            micros(rs.getBigDecimal("monthly_limit_usd")), version, today,
                            Micros.fromUsd(rs.getBigDecimal("daily")), YearMonth.from(today),
                            Micros.fromUsd(rs.getBigDecimal("monthly")), partition.applyAsInt(user),
                            watermark.applyAsLong(user), now);
                })
                .list();
    }

    private static OptionalLong micros(BigDecimal usd) {
        return usd == null ? OptionalLong.empty() : OptionalLong.of(Micros.fromUsd(usd));
    }
}
