package dev.metering.edge.proxy;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.OptionalLong;

import dev.metering.model.money.Micros;
import dev.metering.model.money.PriceTable;
import dev.metering.model.money.TokenUsage;
import dev.metering.quota.Decision;
import dev.metering.quota.QuotaCache;

/**
 * Asks the quota cache before a call starts. The estimate is deliberately high, so that calls in
 * flight can only overstate spend: every request byte priced as a cache-write input token (the
 * dearest kind) plus {@code max_tokens} of output, at the model's prices.
 */
public final class QuotaGate {
    private final QuotaCache cache;
    private final PriceTable prices;

    public QuotaGate(QuotaCache cache, PriceTable prices) {
        this.cache = cache;
        this.prices = prices;
    }

    QuotaCache cache() {
        return cache;
    }

    Decision admit(String userId, RequestFacts facts, int bodyBytes) {
        return cache.admit(userId, estimate(facts, bodyBytes, Instant.now()));
    }

    long estimate(RequestFacts facts, int bodyBytes, Instant at) {
        if (facts.model() == null) {
            return 0;
        }
        try {
            return prices.cost(facts.model(), new TokenUsage(0, facts.maxTokens(), 0, bodyBytes), at).micros();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    /** The 429 body's {@code quota} object, in USD. */
    static String quotaJson(Decision.Refused r) {
        return "{\"dailyUsed\":" + usd(r.dailyUsedMicros()) + ",\"dailyLimit\":" + usd(r.dailyLimitMicros())
                + ",\"monthlyUsed\":" + usd(r.monthlyUsedMicros()) + ",\"monthlyLimit\":" + usd(r.monthlyLimitMicros()) + "}";
    }

    private static String usd(OptionalLong micros) {
        return micros.isPresent() ? usd(micros.getAsLong()) : "null";
    }

    private static String usd(long micros) {
        BigDecimal v = Micros.toUsd(micros).stripTrailingZeros();
        return (v.signum() == 0 ? BigDecimal.ZERO : v).toPlainString();
    }
}
