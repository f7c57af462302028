package dev.metering.edge.proxy;

import java.io.IOException;
import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.metering.edge.events.UsageEmitter;
import dev.metering.edge.metrics.EdgeMetrics;
import dev.metering.edge.usage.CapturedUsage;
import dev.metering.model.event.EventIds;
import dev.metering.model.event.Outcome;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.money.Cost;
import dev.metering.model.money.PriceTable;
import dev.metering.quota.QuotaCache;
import dev.metering.quota.Reservation;

/** Turns a finished call into its usage event, prices it, counts it and hands it to the spool. */
public final class CallOutcomeRecorder {
    private static final Logger log = LoggerFactory.getLogger(CallOutcomeRecorder.class);

    private final UsageEmitter emitter;
    private final PriceTable prices;
    private final EdgeMetrics metrics;
    private final String edgeId;
    private final QuotaCache quota;

    public CallOutcomeRecorder(UsageEmitter emitter, PriceTable prices, EdgeMetrics metrics, String edgeId,
            QuotaCache quota) {
        this.emitter = emitter;
        this.prices = prices;
        this.metrics = metrics;
        this.edgeId = edgeId;
        this.quota = quota;
    }

    EdgeMetrics metrics() {
        return metrics;
    }

    UsageEmitter emitter() {
        return emitter;
    }

    /**
     * Meters the call, on the caller's thread: returns whether its event is in the spool. When it
     * is not, the reason is logged here, and the caller must not let the client see a complete
     * response.
     */
    boolean record(Reservation reservation, CallIdentity who, Instant startedAt, long durationMs,
            int status, boolean stream, CapturedUsage usage, String requestModel, Outcome outcome) {
        try {
            recordOrThrow(reservation, who, startedAt, durationMs, status, stream, usage, requestModel, outcome);
            return true;
        } catch (IOException | RuntimeException e) {
            log.error("usage event of a call by {} ({}, status {}) could not be spooled", who.userId(), outcome, status, e);
            return false;
        }
    }

    private void recordOrThrow(Reservation reservation, CallIdentity who, Instant startedAt,
            long durationMs, int status,
            boolean stream, CapturedUsage usage, String requestModel, Outcome outcome) throws IOException {
        String model = usable(usage.model()) ? usage.model() : usable(requestModel) ? requestModel : "unknown";
        status = Math.max(100, Math.min(599, status));
        Cost cost;
        try {
            cost = prices.cost(model, usage.tokens(), startedAt);
        } catch (ArithmeticException e) {
            cost = new Cost(0, prices.versionAt(startedAt).version(), false); // absurd token counts
        }
        if (!cost.priced()) {
            metrics.unpriced(model);
        }
        metrics.call(who.userId(), model, status, cost.micros());
        var t = usage.tokens();
        UsageEvent event = new UsageEvent(EventIds.next(), startedAt, who.userId(), who.sessionId(), model,
                status, stream, t.input(), t.output(), t.cacheRead(), t.cacheWrite(), cost.micros(),
                cost.pricingVersion(), edgeId, Math.max(0, durationMs), outcome);
        // The real cost replaces the estimate now, before the last byte goes out, so the user's
        // next call already sees it.
        quota.settle(reservation, event.eventId(), event.costMicros(), startedAt);
        emitter.emit(event);
    }

    /** A model name an event can carry: see {@link UsageEvent#isStorableText}. */
    private static boolean usable(String model) {
        return UsageEvent.isStorableText(model, UsageEvent.MAX_MODEL) && !model.isBlank();
    }
}
