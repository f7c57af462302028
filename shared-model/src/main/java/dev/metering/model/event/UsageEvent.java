package dev.metering.model.event;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
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
    /** Bounds that keep sums in the ledger and rollups far from overflow. */
    public static final long MAX_TOKENS = 1_000_000_000_000L;
    public static final long MAX_COST_MICROS = 1_000_000_000_000_000L;
    public static final long MAX_DURATION_MS = 365L * 24 * 3600 * 1000;
    static final java.time.Instant EARLIEST = java.time.Instant.parse("2000-01-01T00:00:00Z");
    static final java.time.Instant LATEST = java.time.LocalDate.of(10000, 1, 1).atStartOfDay(java.time.ZoneOffset.UTC).toInstant();

    public UsageEvent {
        require(isEventId(eventId), "eventId", eventId, "a lower-case UUID");
        require(occurredAt != null && !occurredAt.isBefore(EARLIEST) && occurredAt.isBefore(LATEST), "occurredAt",
                occurredAt, "an instant in the years 2000-9999");
        require(isStorableText(userId, MAX_USER_ID), "userId", userId, "1-" + MAX_USER_ID + " characters of valid Unicode without NUL");
        require(sessionId == null || isStorableText(sessionId, MAX_SESSION_ID), "sessionId", sessionId,
                "null or 1-" + MAX_SESSION_ID + " characters of valid Unicode without NUL");
        require(isStorableText(model, MAX_MODEL), "model", model, "1-" + MAX_MODEL + " characters of valid Unicode without NUL");
        require(status >= 100 && status <= 599, "status", status, "an HTTP status 100-599");
        require(inputTokens >= 0 && inputTokens <= MAX_TOKENS, "inputTokens", inputTokens, "0-" + MAX_TOKENS);
        require(outputTokens >= 0 && outputTokens <= MAX_TOKENS, "outputTokens", outputTokens, "0-" + MAX_TOKENS);
        require(cacheReadTokens >= 0 && cacheReadTokens <= MAX_TOKENS, "cacheReadTokens", cacheReadTokens, "0-" + MAX_TOKENS);
        require(cacheWriteTokens >= 0 && cacheWriteTokens <= MAX_TOKENS, "cacheWriteTokens", cacheWriteTokens,
                "0-" + MAX_TOKENS);
        require(costMicros >= 0 && costMicros <= MAX_COST_MICROS, "costMicros", costMicros, "0-" + MAX_COST_MICROS);
        require(isStorableText(pricingVersion, MAX_PRICING_VERSION), "pricingVersion", pricingVersion,
                "1-" + MAX_PRICING_VERSION + " characters of valid Unicode without NUL");
        require(isEdgeId(edgeId), "edgeId", edgeId, EDGE_ID.pattern());
        require(durationMs >= 0 && durationMs <= MAX_DURATION_MS, "durationMs", durationMs, "0-" + MAX_DURATION_MS);
        require(outcome != null, "outcome", null, "one of completed, client_disconnected, upstream_error, ...");
    }

    /**
     * Whether {@code s} matches {@link #EVENT_ID}. Every event is checked on the consumer's hot
     * path, so this is a loop rather than the regular expression (same answer, a tenth the time).
     */
    public static boolean isEventId(String s) {
        if (s == null || s.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            boolean ok = dash ? c == '-' : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code s} matches {@link #EDGE_ID}, as a loop for the same reason. */
    public static boolean isEdgeId(String s) {
        if (s == null || s.isEmpty() || s.length() > 128) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == ':' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * The time to stamp on an event made now: to the microsecond, as PostgreSQL keeps times, so
     * the ledger holds the event's own time rather than a rounding of it (and the consumer can
     * roll a batch up from its own sums).
     */
    public static Instant occurredNow() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * Non-empty, bounded, without NUL (PostgreSQL text cannot hold it) and without unpaired
     * surrogates (UTF-8 cannot: they would be stored as '?', so two different ids could become one).
     */
    public static boolean isStorableText(String s, int max) {
        if (s == null || s.isEmpty() || s.length() > max) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\0') {
                return false;
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
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
