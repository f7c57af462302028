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

    /**
     * {@code n} events a millisecond apart in the order produced, each moved back zero, one or
     * two UTC days (so a batch touches three days' rollups), for 2000 users chosen uniformly (so
     * a batch of 5000 touches about 4000 rollup rows) and three models.
     */
    static List<UsageEvent> events(int n, long seed) {
        Random r = new Random(seed);
        Instant now = UsageEvent.occurredNow();
        String[] models = {"claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-6"};
        List<UsageEvent> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Instant at = now.minus(r.nextInt(3), ChronoUnit.DAYS).minusMillis(n - i);
            out.add(new UsageEvent(dev.metering.model.event.EventIds.next(), at, "user-" + r.nextInt(2000), null,
                    models[r.nextInt(3)], 200, r.nextBoolean(), r.nextInt(4000), r.nextInt(800), r.nextInt(100),
                    r.nextInt(50), 1 + r.nextInt(50_000), "2025-10-01", "edge-" + r.nextInt(4), r.nextInt(5000),
                    Outcome.COMPLETED));
        }
        return out;
    }

    /** What one pass of the consumer over a filled topic measured. */
    private record Pass(double wall, long steadyEvents, double steady, long rows, boolean exact, long batches,
            double meanCommitMs, double jitSeconds, long checkpoints, long deduplicatedBatches, double stealPercent) {
        double steadyRate() {
            return steadyEvents / steady;
        }
    }

    /** How to run: consumer loops, batch bound, measured passes. */
    record Options(int events, int warmup, int baseline, int threads, int batch, int passes) {
    }

    static void run(Options o) throws Exception {
        int n = o.events();
        Path work = Files.createTempDirectory("bench-ingest");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"), 0, true);
                EmbeddedPostgres pg = EmbeddedPostgres.start(work.resolve("pg"), 0, true, true, EmbeddedPostgres.DURABLE)) {
            // Every database and topic first: producing to a topic created a moment before can
            // race its leader election on the in-process broker.
            List<String> names = new ArrayList<>(List.of("warmup"));
            for (int i = 1; i <= o.passes(); i++) {
                names.add("pass" + i);
            }
            for (String name : names) {
                pg.createDatabase(name);
                Migrations.apply(dataSource(pg, name));
                Topics.ensure(kafka.bootstrapServers(), List.of(Topics.usageEvents(name + "-usage-events",
                        Topics.Layout.DEFAULT), Topics.deadLetters(name + "-usage-events.dlq", Topics.Layout.DEFAULT)),
                        Duration.ofSeconds(30));
            }
            // A consumer runs for days: the JIT has compiled its hot paths long before. A first
            // pass into its own database and topic does most of that here; what compiling is left
            // is printed beside each measured pass.
            Pass warm = pass(kafka, pg, "warmup", events(o.warmup(), 2), o);
            System.out.printf("%nwarm-up pass: %d events in %.2f s (%.0f events/s), not counted%n", o.warmup(),
                    warm.wall(), o.warmup() / warm.wall());
            List<Pass> passes = new ArrayList<>();
            for (int i = 1; i <= o.passes(); i++) {
                passes.add(pass(kafka, pg, "pass" + i, events(n, 1 + i * 10L), o));
            }

            PGSimpleDataSource ds = dataSource(pg, "pass1");
            List<UsageEvent> baselineEvents = events(Math.min(o.baseline(), n), 3);
            double baseline = baseline(ds, baselineEvents);

            System.out.println();
            System.out.println("## Ingestion (" + n + " events per pass, 12 partitions, " + o.threads()
                    + " batch loops, batches of up to " + o.batch() + ")");
            System.out.println();
            System.out.println("| path | events | seconds | events/s | batches (deduplicating) | mean write+commit ms "
                    + "| JIT s | checkpoints | steal % | exact |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|");
            for (int i = 0; i < passes.size(); i++) {
                Pass p = passes.get(i);
                System.out.printf("| consumer batch path, pass %d, after its first commit | %d | %.2f | %.0f | %d (%d) "
                        + "| %.1f | %.1f | %d | %.0f | rows %d, rollups %s |%n", i + 1, p.steadyEvents(), p.steady(),
                        p.steadyRate(), p.batches(), p.deduplicatedBatches(), p.meanCommitMs(), p.jitSeconds(), p.checkpoints(),
                        p.stealPercent(), p.rows(),
                        p.exact() ? "equal to the micro-dollar" : "DIFFER");
            }
            double median = passes.stream().mapToDouble(Pass::steadyRate).sorted().toArray()[passes.size() / 2];
            System.out.printf("| baseline: one INSERT per event (autocommit) | %d | %.2f | %.0f | | | | | | |%n",
                    baselineEvents.size(), baselineEvents.size() / baseline, baseline);
            System.out.printf("%nMedian of the passes: %.0f events/s; ratio to the baseline: %.1fx%n", median,
                    median / baseline);
            if (passes.stream().anyMatch(p -> !p.exact())) {
                System.out.println("NOT EXACT: a pass lost or doubled events");
            }
        } finally {
            dev.metering.infra.Directories.deleteRecursively(work);
        }
    }

    /** Fills topic {@code name}-usage-events with {@code events}, then consumes it into database {@code name}. */
    private static Pass pass(EmbeddedKafka kafka, EmbeddedPostgres pg, String name, List<UsageEvent> events, Options o)
            throws Exception {
        PGSimpleDataSource ds = dataSource(pg, name);
        String topic = name + "-usage-events";
        int n = events.size();
        long expectedMicros = events.stream().mapToLong(UsageEvent::costMicros).sum();
        fill(kafka.bootstrapServers(), topic, events);

        com.zaxxer.hikari.HikariDataSource pool = dev.metering.consumer.db.Database.pool(
                dev.metering.model.config.DatabaseUrl.parse("bench", pg.jdbcUrl(name) + "?user=postgres"), "bench",
                o.threads() + 2);
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, name);
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, o.batch());
        cp.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 << 20);
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        KafkaProducer<String, byte[]> dlq = producer(kafka.bootstrapServers());
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        IngestMetrics metrics = new IngestMetrics(meters);
        int threads = o.threads();
        LedgerWriter writer = new LedgerWriter(pool, Duration.ZERO); // one for all loops, as in the consumer
        List<UsageIngestor> ingestors = new ArrayList<>();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            UsageIngestor ingestor = new UsageIngestor(new KafkaConsumer<>(cp), writer, dlq,
                    topic + ".dlq", metrics, BatchListener.NONE, topic, name, Duration.ofMillis(100));
            ingestors.add(ingestor);
            ts.add(new Thread(ingestor, "bench-ingestor-" + i));
        }
        var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        long jitBefore = jit.getTotalCompilationTime();
        long checkpointsBefore = checkpoints(ds);
        ProcessStats.MachineTicks ticks0 = ProcessStats.MachineTicks.now();
        long start = System.nanoTime();
        ts.forEach(Thread::start);
        long first = 0;
        long consumedAtFirst = 0;
        // Progress from the stored offsets (one row per partition), not by counting the ledger,
        // which would compete with the ingestion for the same two cores.
        long consumed = 0;
        while (consumed < n && System.nanoTime() - start < Duration.ofMinutes(10).toNanos()) {
            Thread.sleep(20);
            consumed = count(ds, "SELECT COALESCE(sum(next_offset), 0) FROM consumer_offsets WHERE group_id = '"
                    + name + "'");
            if (first == 0 && consumed > 0) {
                first = System.nanoTime();
                consumedAtFirst = consumed;
            }
        }
        long done = System.nanoTime();
        double steal = ProcessStats.MachineTicks.now().stealPercentSince(ticks0);
        ingestors.forEach(UsageIngestor::stop);
        for (Thread t : ts) {
            t.join();
        }
        dlq.close();
        long rows = count(ds, "SELECT count(*) FROM api_usage");
        long rolledMicros = Micros.fromUsd(decimal(ds, "SELECT sum(cost_usd) FROM usage_rollups"));
        pool.close();
        var commit = meters.get("metering_consumer_commit").timer();
        return new Pass((done - start) / 1e9, n - consumedAtFirst, (done - first) / 1e9, rows,
                rows == n && rolledMicros == expectedMicros,
                commit.count(), commit.mean(java.util.concurrent.TimeUnit.MILLISECONDS),
                (jit.getTotalCompilationTime() - jitBefore) / 1e3,
                checkpoints(ds) - checkpointsBefore,
                (long) meters.get("metering_consumer_deduplicated_batches").counter().count(), steal);
    }

    /** Checkpoints PostgreSQL has made so far (each makes the next writes of every page log it whole). */
    private static long checkpoints(PGSimpleDataSource ds) throws Exception {
        return count(ds, "SELECT num_timed + num_requested FROM pg_stat_checkpointer");
    }

    private static PGSimpleDataSource dataSource(EmbeddedPostgres pg, String name) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(pg.jdbcUrl(name));
        ds.setUser(EmbeddedPostgres.SUPERUSER);
        return ds;
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

    private static void fill(String bootstrap, String topic, List<UsageEvent> events) throws Exception {
        try (KafkaProducer<String, byte[]> p = producer(bootstrap)) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (UsageEvent e : events) {
                sent.add(p.send(UsageEventRecords.toRecord(topic, e)));
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
