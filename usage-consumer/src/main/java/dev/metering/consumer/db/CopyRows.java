package dev.metering.consumer.db;

import java.util.Collection;
import java.util.List;

import dev.metering.model.event.RfcInstants;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.money.Micros;

/** Rows as CSV text for {@code COPY ... (FORMAT csv)}: text always quoted, NULL as an unquoted empty field. */
final class CopyRows {
    /** The ledger columns, in the order {@link #ledger} writes them. */
    static final String LEDGER_COLUMNS = """
            event_id, "timestamp", user_id, session_id, model, status, stream, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, cost_usd, pricing_version, edge_id, duration_ms, outcome""";
    /** The rollup columns, in the order {@link #rollups} writes them. */
    static final String ROLLUP_COLUMNS = """
            user_id, day, model, calls, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd""";

    private CopyRows() {
    }

    static String ledger(List<UsageEvent> events) {
        StringBuilder sb = new StringBuilder(events.size() * 256);
        for (UsageEvent e : events) {
            sb.append(e.eventId()).append(',');
            RfcInstants.appendTo(sb, e.occurredAt()).append(',');
            quote(sb, e.userId()).append(',');
            if (e.sessionId() != null) {
                quote(sb, e.sessionId());
            }
            sb.append(',');
            quote(sb, e.model()).append(',')
                    .append(e.status()).append(',')
                    .append(e.stream()).append(',')
                    .append(e.inputTokens()).append(',')
                    .append(e.outputTokens()).append(',')
                    .append(e.cacheReadTokens()).append(',')
                    .append(e.cacheWriteTokens()).append(',');
            Micros.appendUsd(sb, e.costMicros()).append(',');
            quote(sb, e.pricingVersion()).append(',');
            quote(sb, e.edgeId()).append(',')
                    .append(e.durationMs()).append(',');
            quote(sb, e.outcome().wireName()).append('\n');
        }
        return sb.toString();
    }

    static String rollups(Collection<RollupSums.Row> rows) {
        StringBuilder sb = new StringBuilder(rows.size() * 96);
        for (RollupSums.Row r : rows) {
            quote(sb, r.userId()).append(',')
                    .append(r.day()).append(',');
            quote(sb, r.model()).append(',')
                    .append(r.calls()).append(',')
                    .append(r.inputTokens()).append(',')
                    .append(r.outputTokens()).append(',')
                    .append(r.cacheReadTokens()).append(',')
                    .append(r.cacheWriteTokens()).append(',');
            Micros.appendUsd(sb, r.costMicros()).append('\n');
        }
        return sb.toString();
    }

    private static StringBuilder quote(StringBuilder sb, String s) {
        if (s.indexOf('"') < 0) {
            return sb.append('"').append(s).append('"');
        }
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"') {
                sb.append('"');
            }
            sb.append(ch);
        }
        return sb.append('"');
    }
}
