package dev.metering.consumer.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;

import org.flywaydb.core.api.output.MigrateResult;
import org.postgresql.ds.PGSimpleDataSource;

import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestDatabase;
import dev.metering.testkit.TestInfra;

/** The migrations apply to a real PostgreSQL, once, and the ledger dedupes across partitions. */
class MigrationsIT {

    @InfraTest
    void migrationsApplyToARealDatabaseOnce(TestInfra infra) throws Exception {
        TestDatabase db = infra.newDatabase();
        PGSimpleDataSource ds = dataSource(db);

        MigrateResult first = Migrations.apply(ds);
        MigrateResult second = Migrations.apply(ds);

        assertThat(first.success).isTrue();
        assertThat(first.migrationsExecuted).isGreaterThanOrEqualTo(1);
        assertThat(second.migrationsExecuted).isZero();
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT relkind FROM pg_class WHERE relname = 'api_usage'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).as("partitioned table").isEqualTo("p");
        }
    }

    @InfraTest
    void ledgerKeepsOneRowPerEventInTheMonthlyPartitionOfItsOwnTime(TestInfra infra) throws Exception {
        TestDatabase db = infra.newDatabase();
        Migrations.apply(dataSource(db));
        UUID id = UUID.randomUUID();
        Instant at = Instant.parse("2026-11-30T23:59:59.999Z");

        try (Connection c = db.connect()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT ensure_api_usage_partition(?)")) {
                ps.setTimestamp(1, Timestamp.from(at));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("api_usage_2026_11");
                }
            }
            assertThat(insert(c, id, at)).isEqualTo(1);
            assertThat(insert(c, id, at)).as("a re-sent event").isZero();
            // December has no partition yet: the insert fails loudly rather than land somewhere else.
            assertThatThrownBy(() -> insert(c, UUID.randomUUID(), Instant.parse("2026-12-01T00:00:00Z")))
                    .isInstanceOf(SQLException.class).hasMessageContaining("no partition");
        }
    }

    private static int insert(Connection c, UUID id, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO api_usage (event_id, "timestamp", user_id, session_id, model, status, stream,
                    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd,
                    pricing_version, edge_id, duration_ms, outcome)
                VALUES (?, ?, 'alice', NULL, 'claude-sonnet-4-5', 200, true, 120, 40, 10, 5, 0.000982,
                    '2025-10-01', 'edge-1', 1834, 'completed')
                ON CONFLICT DO NOTHING""")) {
            ps.setObject(1, id);
            ps.setTimestamp(2, Timestamp.from(at));
            return ps.executeUpdate();
        }
    }

    private static PGSimpleDataSource dataSource(TestDatabase db) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(db.jdbcUrl());
        ds.setUser(db.user());
        ds.setPassword(db.password());
        return ds;
    }
}
