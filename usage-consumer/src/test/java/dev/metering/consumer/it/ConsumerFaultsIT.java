package dev.metering.consumer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.metering.consumer.UsageConsumer;
import dev.metering.infra.EmbeddedPostgres;
import dev.metering.infra.FreePorts;
import dev.metering.model.event.UsageEvent;
import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestDatabase;
import dev.metering.testkit.TestInfra;

/** Exactly once under faults: a consumer process killed mid-batch, and PostgreSQL restarted under load. */
class ConsumerFaultsIT {

    @InfraTest
    void consumerKilledMidBatchCountsEveryEventExactlyOnceAfterRestart(TestInfra infra) throws Exception {
        String topic = infra.createTopic("usage-events", 3, Map.of());
        TestDatabase db = infra.newDatabase();
        Instant now = UsageEvent.occurredNow();
        List<UsageEvent> events = Events.many(20_000, List.of("alice", "bob", "carol", "dave", "erin"),
                List.of(now, now.minus(1, ChronoUnit.DAYS), now.minus(40, ChronoUnit.DAYS)), 7);
        Events.produce(infra.kafkaBootstrapServers(), topic, events);

        Map<String, String> env = new HashMap<>(ConsumerFixture.env(infra, db, topic));
        env.put("METERING_BATCH_MAX", "1000");
        env.put("METERING_TEST_COMMIT_DELAY_MS", "400"); // each batch waits inside its transaction
        Process first = startProcess(env, "consumer-first");
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Ledger.rows(db) > 0 && batchOpen(db));
        } finally {
            first.destroyForcibly(); // SIGKILL with a batch written but not committed
            first.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(first.exitValue()).isEqualTo(137);
        long afterKill = Ledger.rows(db);
        assertThat(afterKill).as("killed part-way").isGreaterThan(0).isLessThan(events.size());
        assertThat(afterKill % 1000).as("only whole batches committed").isZero();

        env.remove("METERING_TEST_COMMIT_DELAY_MS");
        Process second = startProcess(env, "consumer-second");
        try {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                    .until(() -> Ledger.rows(db) >= events.size());
            Ledger.assertExact(db, events);
        } finally {
            second.destroy();
            second.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @InfraTest
    void postgresRestartedUnderLoadLosesAndDoublesNothing(TestInfra infra) throws Exception {
        String topic = infra.createTopic("usage-events", 3, Map.of());
        Path pgDir = Files.createTempDirectory("restart-pg");
        int pgPort = FreePorts.pick();
        EmbeddedPostgres pg = EmbeddedPostgres.start(pgDir, pgPort, false);
        try {
            pg.createDatabase("usage");
            TestDatabase db = new TestDatabase("usage", pg.jdbcUrl("usage"), EmbeddedPostgres.SUPERUSER, "");
            Instant now = UsageEvent.occurredNow();
            List<UsageEvent> events = Events.many(8000, List.of("alice", "bob", "carol"), List.of(now), 11);
            try (UsageConsumer consumer = ConsumerFixture.start(ConsumerFixture.env(infra, db, topic))) {
                CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
                    try {
                        for (int i = 0; i < 8; i++) { // bounded: 8 slices over about 4 s
                            Events.produce(infra.kafkaBootstrapServers(), topic, events.subList(i * 1000, (i + 1) * 1000));
                            Thread.sleep(500);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                await().atMost(Duration.ofSeconds(30)).until(() -> Ledger.rows(db) > 0);
                pg.close(); // under load
                Thread.sleep(1500); // stays down across several polls
                pg = EmbeddedPostgres.start(pgDir, pgPort, false);
                load.get(60, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                        .ignoreExceptions().until(() -> Ledger.rows(db) >= events.size());
                Ledger.assertExact(db, events);
            }
        } finally {
            pg.close();
            dev.metering.infra.Directories.deleteRecursively(pgDir);
        }
    }

    /** Whether the consumer's connection sits inside an open transaction. */
    private static boolean batchOpen(TestDatabase db) throws Exception {
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE datname = ? "
                        + "AND state = 'idle in transaction' AND pid <> pg_backend_pid()")) {
            ps.setString(1, db.name());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        }
    }

    private static Process startProcess(Map<String, String> env, String name) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                ConsumerProcessMain.class.getName());
        pb.environment().putAll(env);
        Path log = Files.createTempFile(name, ".log");
        pb.redirectError(log.toFile());
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String ready = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("CONSUMER READY")) {
                        return line;
                    }
                }
                return null;
            } catch (java.io.IOException e) {
                return null;
            }
        }).get(90, TimeUnit.SECONDS);
        if (ready == null) {
            p.destroyForcibly();
            throw new IllegalStateException("consumer process did not start; see " + log);
        }
        return p;
    }
}
