package dev.metering.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.postgresql.ds.PGSimpleDataSource;

import dev.metering.consumer.db.LedgerWriter;
import dev.metering.consumer.db.Migrations;
import dev.metering.consumer.ingest.BatchListener;
import dev.metering.consumer.ingest.IngestMetrics;
import dev.metering.consumer.ingest.UsageIngestor;
import dev.metering.infra.EmbeddedKafka;
import dev.metering.infra.EmbeddedPostgres;
import dev.metering.model.event.Outcome;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.event.UsageEventRecords;
import dev.metering.model.kafka.Topics;
import dev.metering.model.money.Micros;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Ingestion: a filled topic into ledger plus rollups through the consumer's exactly-once batch
 * path, against the design it replaces (one INSERT per event), on the same PostgreSQL.
 */
final class IngestionBench {
    private IngestionBench() {
    }

    static List<UsageEvent> events(int n, long seed) {
        Random r = new Random(seed);
        Instant now = Instant.now();
        List<Instant> days = List.of(now, now.minus(1, ChronoUnit.DAYS), now.minus(2, ChronoUnit.DAYS));
        String[] models = {"claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-6"};
        List<UsageEvent> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new UsageEvent(dev.metering.model.event.EventIds.next(), days.get(r.nextInt(3)), "user-" + r.nextInt(2000),
                    null, models[r.nextInt(3)], 200, r.nextBoolean(), r.nextInt(4000), r.nextInt(800), r.nextInt(100),
                    r.nextInt(50), 1 + r.nextInt(50_000), "2025-10-01", "edge-" + r.nextInt(4), r.nextInt(5000),
                    Outcome.COMPLETED));
        }
        return out;
    }

    static void run(int n, int baselineN) throws Exception {
        Path work = Files.createTempDirectory("bench-ingest");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"), 0, true);
                EmbeddedPostgres pg = EmbeddedPostgres.start(work.resolve("pg"), 0, true, true, EmbeddedPostgres.DURABLE)) {
            pg.createDatabase("bench");
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setURL(pg.jdbcUrl("bench"));
            ds.setUser(EmbeddedPostgres.SUPERUSER);
            Migrations.apply(ds);
            Topics.ensure(kafka.bootstrapServers(), List.of(Topics.usageEvents("usage-events", Topics.Layout.DEFAULT),
                    Topics.deadLetters("usage-events.dlq", Topics.Layout.DEFAULT)), Duration.ofSeconds(30));
            List<UsageEvent> events = events(n, 1);
            long expectedMicros = events.stream().mapToLong(UsageEvent::costMicros).sum();
            fill(kafka.bootstrapServers(), events);

            com.zaxxer.hikari.HikariDataSource pool = dev.metering.consumer.db.Database.pool(
                    dev.metering.model.config.DatabaseUrl.parse("bench", pg.jdbcUrl("bench") + "?user=postgres"), "bench", 4);
            Properties cp = new Properties();
            cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            cp.put(ConsumerConfig.GROUP_ID_CONFIG, "bench");
            cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.getInteger("bench.batch", 5000));
            cp.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 << 20);
            cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            KafkaProducer<String, byte[]> dlq = producer(kafka.bootstrapServers());
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            UsageIngestor ingestor = new UsageIngestor(new KafkaConsumer<>(cp), new LedgerWriter(pool, Duration.ZERO), dlq,
                    "usage-events.dlq", new IngestMetrics(meters), BatchListener.NONE, "usage-events",
                    "bench", Duration.ofMillis(100));
            Thread t = new Thread(ingestor, "bench-ingestor");
            long start = System.nanoTime();
            t.start();
            long first = 0;
            long rows = 0;
            // Progress from the stored offsets (one row per partition), not by counting the ledger,
            // which would compete with the ingestion for the same two cores.
            long consumed = 0;
            while (consumed < n && System.nanoTime() - start < Duration.ofMinutes(10).toNanos()) {
                Thread.sleep(20);
                consumed = count(ds, "SELECT COALESCE(sum(next_offset), 0) FROM consumer_offsets WHERE group_id = 'bench'");
                if (first == 0 && consumed > 0) {
                    first = System.nanoTime();
                }
            }
            rows = count(ds, "SELECT count(*) FROM api_usage");
            long done = System.nanoTime();
            ingestor.stop();
            t.join();
            dlq.close();
            long rolledMicros = Micros.fromUsd(decimal(ds, "SELECT sum(cost_usd) FROM usage_rollups"));
            pool.close();
            double wall = (done - start) / 1e9;
            var commit = meters.get("metering_consumer_commit").timer();
            System.out.printf("%n%d batches, mean write+commit %.1f ms (%.1f s of %.1f s in the database path)%n",
                    commit.count(), commit.mean(java.util.concurrent.TimeUnit.MILLISECONDS),
                    commit.totalTime(java.util.concurrent.TimeUnit.SECONDS), (done - first) / 1e9);
            double steady = (done - first) / 1e9;

            double baseline = baseline(ds, events.subList(0, Math.min(baselineN, n)));

            System.out.println();
            System.out.println("## Ingestion (" + n + " events, 12 partitions, batches of up to 5000)");
            System.out.println();
            System.out.println("| path | events | seconds | events/s | exact |");
            System.out.println("|---|---|---|---|---|");
            System.out.printf("| consumer batch path, from start (incl. group join) | %d | %.2f | %.0f | rows %d, rollups %s |%n",
                    n, wall, n / wall, rows, rolledMicros == expectedMicros ? "equal to the micro-dollar" : "DIFFER");
            System.out.printf("| consumer batch path, first to last commit | %d | %.2f | %.0f | |%n", n, steady, n / steady);
            System.out.printf("| baseline: one INSERT per event (autocommit) | %d | %.2f | %.0f | |%n",
                    Math.min(baselineN, n), Math.min(baselineN, n) / baseline, baseline);
            System.out.printf("%nRatio (steady batch path / baseline): %.1fx%n", (n / steady) / baseline);
        } finally {
            dev.metering.infra.Directories.deleteRecursively(work);
        }
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return new KafkaProducer<>(p);
    }

    private static void fill(String bootstrap, List<UsageEvent> events) throws Exception {
        try (KafkaProducer<String, byte[]> p = producer(bootstrap)) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (UsageEvent e : events) {
                sent.add(p.send(UsageEventRecords.toRecord("usage-events", e)));
            }
            for (Future<RecordMetadata> f : sent) {
                f.get();
            }
        }
    }

    /** The design this replaces: one INSERT per event, each its own transaction. Events per second. */
    private static double baseline(PGSimpleDataSource ds, List<UsageEvent> events) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE baseline_usage (event_id uuid PRIMARY KEY, \"timestamp\" timestamptz, user_id text, "
                    + "model text, input_tokens bigint, output_tokens bigint, cache_read_tokens bigint, "
                    + "cache_write_tokens bigint, cost_usd numeric(20,6), session_id text, status smallint)");
        }
        long t0 = System.nanoTime();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO baseline_usage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            c.setAutoCommit(true);
            for (UsageEvent e : events) {
                ps.setObject(1, UUID.fromString(e.eventId()));
                ps.setTimestamp(2, Timestamp.from(e.occurredAt()));
                ps.setString(3, e.userId());
                ps.setString(4, e.model());
                ps.setLong(5, e.inputTokens());
                ps.setLong(6, e.outputTokens());
                ps.setLong(7, e.cacheReadTokens());
                ps.setLong(8, e.cacheWriteTokens());
                ps.setBigDecimal(9, Micros.toUsd(e.costMicros()));
                ps.setString(10, e.sessionId());
                ps.setInt(11, e.status());
                ps.executeUpdate();
            }
        }
        return events.size() / ((System.nanoTime() - t0) / 1e9);
    }

    private static long count(PGSimpleDataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static java.math.BigDecimal decimal(PGSimpleDataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getBigDecimal(1).setScale(6);
        }
    }
}
