package dev.metering.model.event;

import java.time.Instant;
import java.util.regex.Pattern;

/**
 * Version 1 of the usage event: one per proxied call, produced by the edge to {@code usage-events}
 * and keyed by {@link #userId()}. The published contract is {@code schemas/usage-event-v1.schema.json};
 * the constructor enforces the same rules, so an instance is always a valid event.
 *
 * <p>Money is integer micro-USD. {@code sessionId} is the only nullable field.
 */
public record UsageEvent(
        String eventId,
        Instant occurredAt,
        String userId,
        String sessionId,
        String model,
        int status,
        boolean stream,
        long inputTokens,
        long outputTokens,
        long cacheReadTokens,
        long cacheWriteTokens,
        long costMicros,
        String pricingVersion,
        String edgeId,
        long durationMs,
        Outcome outcome) {

    /** Canonical lower-case UUID text. */
    public static final Pattern EVENT_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    /** Edge ids go into the CloudEvents source URI, so they keep to URI-safe characters. */
    public static final Pattern EDGE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    public static final int MAX_USER_ID = 256;
    public static final int MAX_SESSION_ID = 256;
    public static final int MAX_MODEL = 128;
    public static final int MAX_PRICING_VERSION = 64;

    public UsageEvent {
        require(eventId != null && EVENT_ID.matcher(eventId).matches(), "eventId", eventId, "a lower-case UUID");
        require(occurredAt != null, "occurredAt", null, "an instant");
        require(text(userId, MAX_USER_ID), "userId", userId, "1-" + MAX_USER_ID + " characters without NUL");
        require(sessionId == null || text(sessionId, MAX_SESSION_ID), "sessionId", sessionId,
                "null or 1-" + MAX_SESSION_ID + " characters without NUL");
        require(text(model, MAX_MODEL), "model", model, "1-" + MAX_MODEL + " characters without NUL");
        require(status >= 100 && status <= 599, "status", status, "an HTTP status 100-599");
        require(inputTokens >= 0, "inputTokens", inputTokens, ">= 0");
        require(outputTokens >= 0, "outputTokens", outputTokens, ">= 0");
        require(cacheReadTokens >= 0, "cacheReadTokens", cacheReadTokens, ">= 0");
        require(cacheWriteTokens >= 0, "cacheWriteTokens", cacheWriteTokens, ">= 0");
        require(costMicros >= 0, "costMicros", costMicros, ">= 0");
        require(text(pricingVersion, MAX_PRICING_VERSION), "pricingVersion", pricingVersion,
                "1-" + MAX_PRICING_VERSION + " characters without NUL");
        require(edgeId != null && EDGE_ID.matcher(edgeId).matches(), "edgeId", edgeId, EDGE_ID.pattern());
        require(durationMs >= 0, "durationMs", durationMs, ">= 0");
        require(outcome != null, "outcome", null, "one of completed, client_disconnected, upstream_error, ...");
    }

    /** Non-empty, bounded, and without NUL, which PostgreSQL text cannot hold. */
    private static boolean text(String s, int max) {
        return s != null && !s.isEmpty() && s.length() <= max && s.indexOf('\0') < 0;
    }

    private static void require(boolean ok, String field, Object value, String expected) {
        if (!ok) {
            throw new InvalidEventException(field + ": " + (value == null ? "missing" : "\"" + value + "\"")
                    + " (expected: " + expected + ")");
        }
    }

    /** Total tokens of every kind, for logs and metrics. */
    public long totalTokens() {
        return inputTokens + outputTokens + cacheReadTokens + cacheWriteTokens;
    }
}
