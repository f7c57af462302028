package dev.metering.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.metering.model.quota.QuotaState;

/**
 * Quota admission from memory (SPEC §10). For each user it combines the last state the consumer
 * published, this edge's own spend that state does not cover yet, and the estimates of this
 * edge's calls in flight. A call is allowed while used &lt; limit, daily and monthly; its own
 * estimate does not count against itself. Nothing here waits on a database or a broker.
 * Thread-safe: each user has its own lock.
 */
public final class QuotaCache {
    private final Clock clock;
    private final Duration staleAfter;
    private final FailMode failMode;
    private final ConcurrentHashMap<String, UserLedger> users = new ConcurrentHashMap<>();
    private final AtomicLong lastHeardMillis = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong staleDecisions = new AtomicLong();
    private volatile boolean ready;

    public QuotaCache(Clock clock, Duration staleAfter, FailMode failMode) {
        this.clock = clock;
        this.staleAfter = staleAfter;
        this.failMode = failMode;
    }

    /** Decides whether {@code userId} may start a call estimated at {@code estimateMicros}. */
    public Decision admit(String userId, long estimateMicros) {
        boolean stale = stale();
        if (stale) {
            staleDecisions.incrementAndGet();
            if (failMode == FailMode.CLOSED) {
                return new Decision.Unavailable(ready ? "quota state is older than " + staleAfter.toMillis() + " ms"
                        : "quota state is still loading");
            }
        }
        UserLedger ledger = users.computeIfAbsent(userId, u -> new UserLedger());
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        YearMonth month = YearMonth.from(today);
        synchronized (ledger) {
            if (!stale) {
                ledger.forgetBefore(today);
                QuotaState s = ledger.state;
                OptionalLong dailyLimit = s == null ? OptionalLong.empty() : s.dailyLimitMicros();
                OptionalLong monthlyLimit = s == null ? OptionalLong.empty() : s.monthlyLimitMicros();
                long dailyUsed = (s == null ? 0 : s.dailySpentOn(today)) + ledger.ownSpentOn(today) + ledger.inFlightMicros;
                long monthlyUsed = (s == null ? 0 : s.monthlySpentIn(month)) + ledger.ownSpentIn(month)
                        + ledger.inFlightMicros;
                boolean overDaily = dailyLimit.isPresent() && dailyUsed >= dailyLimit.getAsLong();
                boolean overMonthly = monthlyLimit.isPresent() && monthlyUsed >= monthlyLimit.getAsLong();
                if (overDaily || overMonthly) {
                    return new Decision.Refused(dailyUsed, dailyLimit, monthlyUsed, monthlyLimit);
                }
            }
            ledger.inFlightMicros += Math.max(0, estimateMicros);
            return new Decision.Allowed(new Reservation(userId, Math.max(0, estimateMicros)), stale);
        }
    }

    /**
     * The call ended and cost {@code costMicros}: its estimate is released and its real cost
     * counts as this edge's own spend until a published state covers event {@code eventId}.
     */
    public void settle(Reservation r, String eventId, long costMicros, Instant occurredAt) {
        UserLedger ledger = users.computeIfAbsent(r.userId, u -> new UserLedger());
        synchronized (ledger) {
            releaseLocked(ledger, r);
            if (costMicros > 0) {
                ledger.add(eventId, costMicros, LocalDate.ofInstant(occurredAt, ZoneOffset.UTC));
            }
        }
    }

    /** The call ended without cost to meter; its estimate is released. */
    public void release(Reservation r) {
        UserLedger ledger = users.get(r.userId);
        if (ledger != null) {
            synchronized (ledger) {
                releaseLocked(ledger, r);
            }
        }
    }

    private static void releaseLocked(UserLedger ledger, Reservation r) {
        if (r.open) {
            r.open = false;
            ledger.inFlightMicros -= r.estimateMicros;
        }
    }

    /** Kafka stored event {@code eventId} of {@code userId} at {@code partition}/{@code offset}. */
    public void delivered(String userId, String eventId, int partition, long offset) {
        UserLedger ledger = users.get(userId);
        if (ledger == null) {
            return;
        }
        synchronized (ledger) {
            ledger.located(eventId, partition, offset);
        }
    }

    /**
     * A state from the topic, merged into what is known: limits from the newest limit change,
     * spend from the state covering most of the user's partition (publishers race).
     */
    public void apply(QuotaState state) {
        heard();
        UserLedger ledger = users.computeIfAbsent(state.userId(), u -> new UserLedger());
        synchronized (ledger) {
            ledger.state = ledger.state == null ? state : ledger.state.mergeNewer(state);
            ledger.dropCovered();
        }
    }

    /** A tombstone: the user's state is gone. */
    public void remove(String userId) {
        heard();
        UserLedger ledger = users.get(userId);
        if (ledger != null) {
            synchronized (ledger) {
                ledger.state = null;
            }
        }
    }

    /** A consumer's heartbeat: the state is being kept fresh. */
    public void heartbeat() {
        heard();
    }

    private void heard() {
        lastHeardMillis.set(clock.millis());
    }

    /** The topic has been read up to where it was at start: decisions may use it. */
    public void markReady() {
        heard();
        ready = true;
    }

    public boolean ready() {
        return ready;
    }

    /** How long since the state was last heard from, or empty before anything was. */
    public Duration age() {
        long last = lastHeardMillis.get();
        return last == Long.MIN_VALUE ? Duration.ofDays(365) : Duration.ofMillis(Math.max(0, clock.millis() - last));
    }

    public boolean stale() {
        return !ready || age().compareTo(staleAfter) > 0;
    }

    /** The state known for {@code userId}, if any; for health views and tests. */
    public java.util.Optional<QuotaState> stateOf(String userId) {
        return java.util.Optional.ofNullable(ledgerState(userId));
    }

    /** The last state applied for {@code userId}, or null. */
    QuotaState ledgerState(String userId) {
        UserLedger ledger = users.get(userId);
        if (ledger == null) {
            return null;
        }
        synchronized (ledger) {
            return ledger.state;
        }
    }

    /** Decisions taken while the state was stale (or still loading). */
    public long staleDecisions() {
        return staleDecisions.get();
    }
}
