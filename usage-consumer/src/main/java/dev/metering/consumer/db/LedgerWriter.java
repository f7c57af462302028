package dev.metering.consumer.db;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import javax.sql.DataSource;

import org.postgresql.PGConnection;

import dev.metering.model.event.UsageEvent;

/**
 * Writes one batch of usage events in one transaction: ledger rows, rollups and the partition
 * offsets all commit together or not at all, so a batch replayed after a crash counts nothing
 * twice. Usually no event of a batch is in the ledger yet: the events are copied straight into
 * it and the rollups take the batch's own sums. When one is there already (an edge re-sent it),
 * copying fails on the primary key, a savepoint undoes it, and the batch takes the deduplicating
 * path instead: copied into a staging table, inserted with duplicates (by event id and time)
 * skipped, and rolled up from the rows actually inserted.
 */
public final class LedgerWriter {
    private static final String UNIQUE_VIOLATION = "23505";
    /** ON CONFLICT DO UPDATE meeting the same row twice in one statement. */
    private static final String CARDINALITY_VIOLATION = "21000";
    /** Also what inserting into a month without a partition gives. */
    private static final String CHECK_VIOLATION = "23514";
    private static final String COPY_LEDGER = "COPY api_usage (" + CopyRows.LEDGER_COLUMNS + ") FROM STDIN (FORMAT csv)";
    private static final String ROLLUP_STAGING = """
            CREATE TEMP TABLE IF NOT EXISTS rollup_staging (
                user_id text, day date, model text, calls bigint, input_tokens bigint, output_tokens bigint,
                cache_read_tokens bigint, cache_write_tokens bigint, cost_usd numeric(20,6)
            ) ON COMMIT DELETE ROWS""";
    private static final String COPY_ROLLUPS = "COPY rollup_staging FROM STDIN (FORMAT csv)";
    /** Adds EXCLUDED's sums to the rollup row they collide with. */
    private static final String ADD_TO_ROLLUP = """
            ON CONFLICT (user_id, day, model) DO UPDATE SET
                calls = r.calls + EXCLUDED.calls,
                input_tokens = r.input_tokens + EXCLUDED.input_tokens,
                output_tokens = r.output_tokens + EXCLUDED.output_tokens,
                cache_read_tokens = r.cache_read_tokens + EXCLUDED.cache_read_tokens,
                cache_write_tokens = r.cache_write_tokens + EXCLUDED.cache_write_tokens,
                cost_usd = r.cost_usd + EXCLUDED.cost_usd""";
    // Rollup rows are locked in key order, so two batch loops meeting on the same rows (a user
    // whose events sit in two partitions) wait for each other rather than deadlock.
    private static final String ROLL_UP_SUMS = "INSERT INTO usage_rollups AS r (" + CopyRows.ROLLUP_COLUMNS + ")\n"
            + "SELECT " + CopyRows.ROLLUP_COLUMNS + " FROM rollup_staging ORDER BY user_id, day, model\n"
            + ADD_TO_ROLLUP;
    private static final String STAGING = """
            CREATE TEMP TABLE IF NOT EXISTS usage_staging (
                event_id uuid, "timestamp" timestamptz, user_id text, session_id text, model text,
                status smallint, stream boolean, input_tokens bigint, output_tokens bigint,
                cache_read_tokens bigint, cache_write_tokens bigint, cost_usd numeric(20,6),
                pricing_version text, edge_id text, duration_ms bigint, outcome text
            ) ON COMMIT DELETE ROWS""";
    private static final String COPY_STAGING = "COPY usage_staging FROM STDIN (FORMAT csv)";
    private static final String INSERT_NEW_AND_ROLL_UP = """
            WITH inserted AS (
                INSERT INTO api_usage (%1$s)
                SELECT %1$s FROM usage_staging
                ON CONFLICT DO NOTHING
                RETURNING user_id, ("timestamp" AT TIME ZONE 'UTC')::date AS day, model, input_tokens,
                    output_tokens, cache_read_tokens, cache_write_tokens, cost_usd
            ), rolled AS (
                INSERT INTO usage_rollups AS r (%2$s)
                SELECT user_id, day, model, count(*), sum(input_tokens), sum(output_tokens),
                    sum(cache_read_tokens), sum(cache_write_tokens), sum(cost_usd)
                FROM inserted GROUP BY user_id, day, model ORDER BY user_id, day, model
                %3$s
            )
            SELECT count(*) FROM inserted""".formatted(CopyRows.LEDGER_COLUMNS, CopyRows.ROLLUP_COLUMNS, ADD_TO_ROLLUP);
    private static final String SAVE_OFFSET = """
            INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES (?, ?, ?, ?)
            ON CONFLICT (group_id, topic, partition) DO UPDATE
                SET next_offset = GREATEST(consumer_offsets.next_offset, EXCLUDED.next_offset)""";

    private final DataSource dataSource;
    private final Duration commitDelay;
    /**
     * Months whose ledger partition this writer has seen created, so a batch asks PostgreSQL only
     * for months it has not seen. Forgotten whenever a write fails: a partition dropped by
     * retention is then created again by the retry instead of failing its rows for good.
     */
    private final Set<Instant> partitionsSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public LedgerWriter(DataSource dataSource, Duration commitDelay) {
        this.dataSource = dataSource;
        this.commitDelay = commitDelay;
    }

    /** A partition's position after the batch. */
    public record Offset(String topic, int partition, long nextOffset) {
    }

    /**
     * What a batch changed: rows inserted, the rest duplicates; and whether PostgreSQL had to
     * sort out which events were new (the deduplicating path) rather than take the batch whole.
     */
    public record Result(int inserted, int duplicates, boolean deduplicated) {
    }

    /**
     * Writes {@code events} and advances {@code offsets} for {@code groupId}, atomically.
     *
     * @throws SQLException when the database refuses or is away; nothing was written then
     */
    public Result write(List<UsageEvent> events, String groupId, Collection<Offset> offsets) throws SQLException {
        boolean trustedCache = !partitionsSeen.isEmpty();
        try {
            return writeOnce(events, groupId, offsets);
        } catch (SQLException e) {
            if (!trustedCache || !CHECK_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            // Maybe a partition this writer had seen was dropped (retention): the failure cleared
            // what it had seen, so this time every month is ensured.
            return writeOnce(events, groupId, offsets);
        }
    }

    private Result writeOnce(List<UsageEvent> events, String groupId, Collection<Offset> offsets) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Set<Instant> months = ensurePartitions(c, events);
                Result result = events.isEmpty() ? new Result(0, 0, false) : insert(c, events);
                saveOffsets(c, groupId, offsets);
                if (!commitDelay.isZero()) {
                    pause(commitDelay);
                }
                c.commit();
                partitionsSeen.addAll(months); // only once their creation is committed
                return result;
            } catch (SQLException | RuntimeException e) {
                partitionsSeen.clear();
                rollbackQuietly(c);
                throw e;
            }
        }
    }

    private Result insert(Connection c, List<UsageEvent> events) throws SQLException {
        String rows = CopyRows.ledger(events);
        Optional<Collection<RollupSums.Row>> sums = RollupSums.of(events);
        if (sums.isEmpty()) {
            return insertNew(c, events, rows); // PostgreSQL sums them
        }
        Savepoint before = c.setSavepoint();
        try {
            copy(c, COPY_LEDGER, rows);
            execute(c, ROLLUP_STAGING);
            copy(c, COPY_ROLLUPS, CopyRows.rollups(sums.get()));
            execute(c, ROLL_UP_SUMS);
        } catch (SQLException e) {
            // A duplicate in the ledger or the batch; or two of the batch's rollup keys that
            // PostgreSQL holds equal: either way, PostgreSQL decides which rows are new.
            if (!UNIQUE_VIOLATION.equals(e.getSQLState()) && !CARDINALITY_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            c.rollback(before);
            return insertNew(c, events, rows);
        }
        c.releaseSavepoint(before);
        return new Result(events.size(), 0, false);
    }

    /** The deduplicating path: only events not in the ledger yet are inserted and rolled up. */
    private static Result insertNew(Connection c, List<UsageEvent> events, String rows) throws SQLException {
        execute(c, STAGING);
        copy(c, COPY_STAGING, rows);
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(INSERT_NEW_AND_ROLL_UP)) {
            rs.next();
            int inserted = rs.getInt(1);
            return new Result(inserted, events.size() - inserted, true);
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /**
     * Sends {@code rows} as UTF-8 bytes encoded in one piece: through a {@code Reader} the driver
     * encodes chunk by chunk, and a character split across two chunks would arrive as "??".
     */
    private static void copy(Connection c, String sql, String rows) throws SQLException {
        try {
            c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql,
                    new ByteArrayInputStream(rows.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new SQLException("COPY failed: " + sql, e);
        }
    }

    /** Makes sure the partitions of the events' months exist; returns the months it asked for. */
    private Set<Instant> ensurePartitions(Connection c, List<UsageEvent> events) throws SQLException {
        Set<Instant> months = new TreeSet<>();
        for (UsageEvent e : events) {
            addMonthOf(e.occurredAt(), months);
            int subMicros = e.occurredAt().getNano() % 1000;
            if (subMicros != 0) {
                // PostgreSQL keeps microseconds, rounding: the last moment of a month may land in the next.
                addMonthOf(e.occurredAt().plusNanos(1000 - subMicros), months);
            }
        }
        if (months.isEmpty()) {
            return months;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT ensure_api_usage_partition(?)")) {
            for (Instant m : months) {
                ps.setTimestamp(1, Timestamp.from(m));
                ps.execute();
            }
        }
        return months;
    }

    private void addMonthOf(Instant t, Set<Instant> months) {
        Instant month = Instant.ofEpochSecond(RollupSums.utcDay(t).withDayOfMonth(1).toEpochDay() * 86_400);
        if (!partitionsSeen.contains(month)) {
            months.add(month);
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
