package dev.metering.consumer.db;

import java.io.IOException;
import java.io.StringReader;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import javax.sql.DataSource;

import org.postgresql.PGConnection;

import dev.metering.model.event.UsageEvent;
import dev.metering.model.money.Micros;

/**
 * Writes one batch of usage events in one transaction: the events are copied into a staging
 * table, inserted into the ledger with duplicates (by event id and time) skipped, the rollups are
 * upserted from the rows actually inserted (one statement), and the partition offsets advance.
 * All of it commits together or not at all, so a batch replayed after a crash counts nothing twice.
 */
public final class LedgerWriter {
    private static final String STAGING = """
            CREATE TEMP TABLE IF NOT EXISTS usage_staging (
                event_id uuid, "timestamp" timestamptz, user_id text, session_id text, model text,
                status smallint, stream boolean, input_tokens bigint, output_tokens bigint,
                cache_read_tokens bigint, cache_write_tokens bigint, cost_usd numeric(20,6),
                pricing_version text, edge_id text, duration_ms bigint, outcome text
            ) ON COMMIT DELETE ROWS""";
    private static final String COPY = "COPY usage_staging FROM STDIN (FORMAT csv)";
    private static final String INSERT_AND_ROLL_UP = """
            WITH inserted AS (
                INSERT INTO api_usage (event_id, "timestamp", user_id, session_id, model, status, stream,
                    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd,
                    pricing_version, edge_id, duration_ms, outcome)
                SELECT event_id, "timestamp", user_id, session_id, model, status, stream,
                    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd,
                    pricing_version, edge_id, duration_ms, outcome
                FROM usage_staging
                ON CONFLICT DO NOTHING
                RETURNING user_id, ("timestamp" AT TIME ZONE 'UTC')::date AS day, model, input_tokens,
                    output_tokens, cache_read_tokens, cache_write_tokens, cost_usd
            ), rolled AS (
                INSERT INTO usage_rollups AS r (user_id, day, model, calls, input_tokens, output_tokens,
                    cache_read_tokens, cache_write_tokens, cost_usd)
                SELECT user_id, day, model, count(*), sum(input_tokens), sum(output_tokens),
                    sum(cache_read_tokens), sum(cache_write_tokens), sum(cost_usd)
                FROM inserted GROUP BY user_id, day, model
                ON CONFLICT (user_id, day, model) DO UPDATE SET
                    calls = r.calls + EXCLUDED.calls,
                    input_tokens = r.input_tokens + EXCLUDED.input_tokens,
                    output_tokens = r.output_tokens + EXCLUDED.output_tokens,
                    cache_read_tokens = r.cache_read_tokens + EXCLUDED.cache_read_tokens,
                    cache_write_tokens = r.cache_write_tokens + EXCLUDED.cache_write_tokens,
                    cost_usd = r.cost_usd + EXCLUDED.cost_usd
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM rolled),
                   ARRAY(SELECT DISTINCT user_id FROM inserted)""";
    private static final String SAVE_OFFSET = """
            INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES (?, ?, ?, ?)
            ON CONFLICT (group_id, topic, partition) DO UPDATE
                SET next_offset = GREATEST(consumer_offsets.next_offset, EXCLUDED.next_offset)""";

    private final DataSource dataSource;
    private final Duration commitDelay;

    public LedgerWriter(DataSource dataSource, Duration commitDelay) {
        this.dataSource = dataSource;
        this.commitDelay = commitDelay;
    }

    /** A partition's position after the batch. */
    public record Offset(String topic, int partition, long nextOffset) {
    }

    /** What a batch changed: rows inserted (the rest were duplicates) and the users touched. */
    public record Result(int inserted, int duplicates, Set<String> users) {
    }

    /**
     * Writes {@code events} and advances {@code offsets} for {@code groupId}, atomically.
     *
     * @throws SQLException when the database refuses or is away; nothing was written then
     */
    public Result write(List<UsageEvent> events, String groupId, Collection<Offset> offsets) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Result result = events.isEmpty() ? new Result(0, 0, Set.of()) : insert(c, events);
                saveOffsets(c, groupId, offsets);
                if (!commitDelay.isZero()) {
                    pause(commitDelay);
                }
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        }
    }

    private Result insert(Connection c, List<UsageEvent> events) throws SQLException {
        ensurePartitions(c, events);
        try (Statement s = c.createStatement()) {
            s.execute(STAGING);
        }
        try {
            c.unwrap(PGConnection.class).getCopyAPI().copyIn(COPY, new StringReader(csv(events)));
        } catch (IOException e) {
            throw new SQLException("COPY into the staging table failed", e);
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(INSERT_AND_ROLL_UP)) {
            rs.next();
            int inserted = rs.getInt(1);
            Array users = rs.getArray(3);
            Set<String> touched = new TreeSet<>(List.of((String[]) users.getArray()));
            return new Result(inserted, events.size() - inserted, touched);
        }
    }

    private static void ensurePartitions(Connection c, List<UsageEvent> events) throws SQLException {
        Set<Instant> months = new TreeSet<>();
        for (UsageEvent e : events) {
            months.add(e.occurredAt().atOffset(ZoneOffset.UTC).withDayOfMonth(1).toLocalDate()
                    .atStartOfDay(ZoneOffset.UTC).toInstant());
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT ensure_api_usage_partition(?)")) {
            for (Instant m : months) {
                ps.setTimestamp(1, Timestamp.from(m));
                ps.execute();
            }
        }
    }

    private static void saveOffsets(Connection c, String groupId, Collection<Offset> offsets) throws SQLException {
        if (offsets.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(SAVE_OFFSET)) {
            for (Offset o : offsets) {
                ps.setString(1, groupId);
                ps.setString(2, o.topic());
                ps.setInt(3, o.partition());
                ps.setLong(4, o.nextOffset());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** The events as CSV rows for COPY: text always quoted, NULL as an unquoted empty field. */
    static String csv(List<UsageEvent> events) {
        StringBuilder sb = new StringBuilder(events.size() * 256);
        for (UsageEvent e : events) {
            sb.append(e.eventId()).append(',')
                    .append(DateTimeFormatter.ISO_INSTANT.format(e.occurredAt())).append(',');
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
                    .append(e.cacheWriteTokens()).append(',')
                    .append(Micros.toUsd(e.costMicros()).toPlainString()).append(',');
            quote(sb, e.pricingVersion()).append(',');
            quote(sb, e.edgeId()).append(',')
                    .append(e.durationMs()).append(',');
            quote(sb, e.outcome().wireName()).append('\n');
        }
        return sb.toString();
    }

    private static StringBuilder quote(StringBuilder sb, String s) {
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

    /**
     * Whether PostgreSQL refused the data itself (a value out of range, a check failed), so that
     * retrying the same rows can never succeed; connection and server failures are not.
     */
    public static boolean permanent(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("22") || state.equals("23514"));
    }

    /** Offsets stored for {@code groupId} and {@code topic}, by partition. */
    public Map<Integer, Long> storedOffsets(String groupId, String topic) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT partition, next_offset FROM consumer_offsets WHERE group_id = ? AND topic = ?")) {
            ps.setString(1, groupId);
            ps.setString(2, topic);
            Map<Integer, Long> out = new java.util.HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getInt(1), rs.getLong(2));
                }
            }
            return out;
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the transaction is gone with it
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
