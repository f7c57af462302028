package dev.metering.consumer.db;

import java.math.BigDecimal;
import java.util.Optional;

import org.jdbi.v3.core.Jdbi;

/** {@code user_quotas}: the record for limits. A null limit means none. */
public final class QuotaStore {
    private final Jdbi jdbi;

    public QuotaStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** A user's limits in USD; empty values mean unlimited. */
    public record Limits(Optional<BigDecimal> dailyUsd, Optional<BigDecimal> monthlyUsd) {
    }

    /** Stores the limits; returns once they are committed. */
    public void put(String userId, Limits limits) {
        jdbi.useHandle(h -> h.createUpdate("""
                INSERT INTO user_quotas (user_id, daily_limit_usd, monthly_limit_usd, enabled, updated_at)
                VALUES (:userId, :daily, :monthly, true, now())
                ON CONFLICT (user_id) DO UPDATE SET daily_limit_usd = EXCLUDED.daily_limit_usd,
                    monthly_limit_usd = EXCLUDED.monthly_limit_usd, enabled = true, updated_at = now()""")
                .bind("userId", userId)
                .bind("daily", limits.dailyUsd().orElse(null))
                .bind("monthly", limits.monthlyUsd().orElse(null))
                .execute());
    }

    public Optional<Limits> get(String userId) {
        return jdbi.withHandle(h -> h.createQuery(
                "SELECT daily_limit_usd, monthly_limit_usd FROM user_quotas WHERE user_id = :userId AND enabled")
                .bind("userId", userId)
                .map((rs, ctx) -> new Limits(Optional.ofNullable(rs.getBigDecimal(1)), Optional.ofNullable(rs.getBigDecimal(2))))
                .findOne());
    }
}
