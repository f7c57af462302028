package dev.metering.consumer.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.postgresql.ds.PGSimpleDataSource;

import dev.metering.model.event.EventIds;
import dev.metering.model.event.Outcome;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.money.Micros;
import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestDatabase;
import dev.metering.testkit.TestInfra;

/** The batch write on a real PostgreSQL: what goes in comes back exactly. */
class LedgerWriterIT {

    @InfraTest
    void textTimeAndMoneyComeBackExactlyAsWritten(TestInfra infra) throws Exception {
        PGSimpleDataSource ds = migrated(infra.newDatabase());
        LedgerWriter writer = new LedgerWriter(ds, Duration.ZERO);
        List<UsageEvent> events = List.of(
                event("quote\"comma,newline\nback\\slash", "s\"1", Instant.parse("2026-11-27T15:22:49Z"), 0),
                event("ünïcødé 用户", null, Instant.parse("2026-11-27T15:22:49.1Z"), 1),
                event("tab\there", "x\ty", Instant.parse("2026-11-27T15:22:49.123456Z"), 999_999),
                event("alice", "s-2", Instant.parse("2026-11-27T15:22:49.000001Z"), 1_000_000),
                event("bob", "s-3", Instant.parse("2000-01-01T00:00:00Z"), UsageEvent.MAX_COST_MICROS));

        LedgerWriter.Result r = writer.write(events, "g", List.of(new LedgerWriter.Offset("t", 0, 5)));

        assertThat(r.inserted()).isEqualTo(5);
        List<String> back = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT user_id, session_id, \"timestamp\", cost_usd FROM api_usage")) {
            while (rs.next()) {
                back.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getObject(3, java.time.OffsetDateTime.class)
                        .toInstant() + "|" + Micros.fromUsd(rs.getBigDecimal(4)));
            }
        }
        assertThat(back).containsExactlyInAnyOrderElementsOf(events.stream()
                .map(e -> e.userId() + "|" + e.sessionId() + "|" + e.occurredAt() + "|" + e.costMicros()).toList());
    }

    @InfraTest
    void charactersOutsideTheBmpSurviveEveryPositionInALargeCopy(TestInfra infra) throws Exception {
        PGSimpleDataSource ds = migrated(infra.newDatabase());
        LedgerWriter writer = new LedgerWriter(ds, Duration.ZERO);
        Instant at = Instant.parse("2026-11-27T10:00:00Z");
        List<UsageEvent> events = new ArrayList<>();
        String emoji = "\ud83d\ude00".repeat(120); // 240 UTF-16 units: most of each row is surrogate pairs
        for (int i = 0; i < 3000; i++) {
            events.add(event(emoji + i, "s" + emoji, at, 1));
        }

        writer.write(events, "g", List.of());

        try (Connection c = ds.getConnection(); java.sql.PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM api_usage WHERE user_id LIKE '%?%' OR session_id <> ?")) {
            ps.setString(1, "s" + emoji);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getLong(1)).as("rows whose text was mangled").isZero();
            }
        }
        assertThat(single(ds, "SELECT count(*) FROM usage_rollups r JOIN api_usage a USING (user_id)"))
                .isEqualByComparingTo("3000");
    }

    @InfraTest
    void aBatchWithEventsAlreadyInTheLedgerCountsOnlyTheNewOnes(TestInfra infra) throws Exception {
        PGSimpleDataSource ds = migrated(infra.newDatabase());
        LedgerWriter writer = new LedgerWriter(ds, Duration.ZERO);
        Instant at = Instant.parse("2026-11-27T10:00:00Z");
        UsageEvent a = event("alice", null, at, 100);
        UsageEvent b = event("alice", null, at, 20);
        UsageEvent c = event("alice", null, at, 3);
        UsageEvent d = event("bob", null, at, 4000);

        LedgerWriter.Result first = writer.write(List.of(a, b), "g", List.of());
        // a re-sent, c twice in the batch itself, d new
        LedgerWriter.Result second = writer.write(List.of(a, c, c, d), "g", List.of());

        assertThat(first.inserted()).isEqualTo(2);
        assertThat(second.inserted()).isEqualTo(2);
        assertThat(second.duplicates()).isEqualTo(2);
        assertThat(Micros.fromUsd(single(ds, "SELECT cost_usd FROM usage_rollups WHERE user_id = 'alice'")))
                .isEqualTo(123);
        assertThat(Micros.fromUsd(single(ds, "SELECT cost_usd FROM usage_rollups WHERE user_id = 'bob'")))
                .isEqualTo(4000);
        assertThat(single(ds, "SELECT sum(calls) FROM usage_rollups")).isEqualByComparingTo("4");
        assertThat(single(ds, "SELECT count(*) FROM api_usage")).isEqualByComparingTo("4");
    }

    @InfraTest
    void sumsThatDoNotFitALongAreLeftToPostgresql(TestInfra infra) throws Exception {
        PGSimpleDataSource ds = migrated(infra.newDatabase());
        LedgerWriter writer = new LedgerWriter(ds, Duration.ZERO);
        Instant at = Instant.parse("2026-11-27T10:00:00Z");
        List<UsageEvent> huge = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            huge.add(event("whale", null, at, UsageEvent.MAX_COST_MICROS)); // 10^19 micro-USD together
        }

        LedgerWriter.Result r = writer.write(huge, "g", List.of());

        assertThat(r.inserted()).isEqualTo(10_000);
        assertThat(single(ds, "SELECT cost_usd FROM usage_rollups WHERE user_id = 'whale'"))
                .isEqualByComparingTo("10000000000000");
    }

    @InfraTest
    void aTimeThatPostgresqlRoundsIntoTheNextMonthIsStoredAndRolledUpThere(TestInfra infra) throws Exception {
        PGSimpleDataSource ds = migrated(infra.newDatabase());
        LedgerWriter writer = new LedgerWriter(ds, Duration.ZERO);
        UsageEvent lastNanos = event("alice", null, Instant.parse("2026-11-30T23:59:59.999999900Z"), 5);

        writer.write(List.of(lastNanos), "g", List.of());

        assertThat(single(ds, "SELECT count(*) FROM api_usage_2026_12")).isEqualByComparingTo("1");
        assertThat(single(ds, "SELECT count(*) FROM usage_rollups WHERE day = '2026-12-01'")).isEqualByComparingTo("1");
    }

    @InfraTest
    void aPartitionDroppedAfterItWasSeenIsCreatedAgain(TestInfra infra) throws Exception {
        PGSimpleDataSource ds = migrated(infra.newDatabase());
        LedgerWriter writer = new LedgerWriter(ds, Duration.ZERO);
        Instant at = Instant.parse("2026-10-15T00:00:00Z");
        writer.write(List.of(event("alice", null, at, 5)), "g", List.of());
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE api_usage_2026_10"); // retention at work
        }

        LedgerWriter.Result again = writer.write(List.of(event("alice", null, at, 7)), "g", List.of());

        assertThat(again.inserted()).isEqualTo(1);
        assertThat(single(ds, "SELECT count(*) FROM api_usage_2026_10")).isEqualByComparingTo("1");
    }

    private static UsageEvent event(String user, String session, Instant at, long micros) {
        return new UsageEvent(EventIds.next(), at, user, session, "claude-sonnet-4-5", 200, false, 1, 2, 3, 4, micros,
                "2025-10-01", "edge-1", 10, Outcome.COMPLETED);
    }

    private static java.math.BigDecimal single(PGSimpleDataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getBigDecimal(1);
        }
    }

    private static PGSimpleDataSource migrated(TestDatabase db) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(db.jdbcUrl());
        ds.setUser(db.user());
        ds.setPassword(db.password());
        Migrations.apply(ds);
        return ds;
    }
}
