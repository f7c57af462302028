package dev.metering.quota;

import java.util.OptionalLong;

import dev.metering.model.quota.QuotaState;

/** Reads what a user has used, by asking with a zero limit (every ask is then refused with the figures). */
final class QuotaCacheProbe {
    private final QuotaCache cache;

    QuotaCacheProbe(QuotaCache cache) {
        this.cache = cache;
    }

    Decision usedAt(String user) {
        QuotaState s = cache.ledgerState(user);
        cache.apply(new QuotaState(user, OptionalLong.of(0), OptionalLong.empty(), s.limitsVersion() + 1, s.day(),
                s.dailySpentMicros(), s.month(), s.monthlySpentMicros(), s.partition(), s.watermark(), s.publishedAt()));
        Decision d = cache.admit(user, 0);
        cache.apply(new QuotaState(user, s.dailyLimitMicros(), s.monthlyLimitMicros(), s.limitsVersion() + 2, s.day(),
                s.dailySpentMicros(), s.month(), s.monthlySpentMicros(), s.partition(), s.watermark(), s.publishedAt()));
        return d;
    }
}
