package dev.metering.consumer;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.zaxxer.hikari.HikariDataSource;

import dev.metering.consumer.admin.AdminServer;
import dev.metering.consumer.db.Database;
import dev.metering.consumer.db.LedgerWriter;
import dev.metering.consumer.db.QuotaStore;
import dev.metering.consumer.db.UsageQueries;
import dev.metering.consumer.quota.QuotaPublisher;
import dev.metering.consumer.ingest.IngestMetrics;
import dev.metering.consumer.ingest.UsageIngestor;
import dev.metering.model.kafka.Topics;
import dev.metering.model.key.AdminToken;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * A running usage-consumer: migrations applied, topics ensured, the batch loops on their own
 * threads (each a member of the consumer group with its own share of the partitions) and the
 * admin API listening. This is where the consumer's parts are wired.
 */
public final class UsageConsumer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UsageConsumer.class);

    private final HikariDataSource pool;
    private final List<UsageIngestor> ingestors;
    private final List<Thread> threads;
    private final Producer<String, byte[]> dlqProducer;
    private final AdminServer admin;
    private final QuotaPublisher quotas;

    private UsageConsumer(HikariDataSource pool, List<UsageIngestor> ingestors, List<Thread> threads,
            Producer<String, byte[]> dlqProducer, AdminServer admin, QuotaPublisher quotas) {
        this.pool = pool;
        this.ingestors = ingestors;
        this.threads = threads;
        this.dlqProducer = dlqProducer;
        this.admin = admin;
        this.quotas = quotas;
    }

    public static UsageConsumer start(dev.metering.consumer.config.ConsumerConfig config,
            PrometheusMeterRegistry registry) {
        return start(config, registry, Clock.systemUTC());
    }

    /** Starts with {@code clock} deciding the UTC day and month (tests move it). */
    public static UsageConsumer start(dev.metering.consumer.config.ConsumerConfig config,
            PrometheusMeterRegistry registry, Clock clock) {
        Topics.Layout layout = config.layout();
        config.describe().forEach(line -> log.info("consumer config: {}", line));
        // A connection per batch loop, the rest for the admin API and quota publishing.
        HikariDataSource pool = Database.pool(config.database(), "usage-consumer", config.threads() + 6);
        try {
            migrateWithRetry(pool, Duration.ofSeconds(60));
            String bootstrap = config.common().kafkaBootstrapServers();
            Topics.ensure(bootstrap, List.of(Topics.usageEvents(config.common().usageTopic(), layout),
                    Topics.deadLetters(config.dlqTopic(), layout), Topics.quotaState(config.common().quotaTopic(), layout),
                    Topics.instances(config.common().instancesTopic(), layout)),
                    Duration.ofSeconds(60));
            Producer<String, byte[]> producer = new KafkaProducer<>(producerProperties(bootstrap));
            Jdbi jdbi = Jdbi.create(pool);
            QuotaPublisher quotas = new QuotaPublisher(jdbi, producer, config.common().quotaTopic(),
                    config.common().usageTopic(), config.groupId(), UUID.randomUUID().toString().substring(0, 8), clock);
            LedgerWriter writer = new LedgerWriter(pool, config.commitDelay());
            IngestMetrics metrics = new IngestMetrics(registry);
            List<UsageIngestor> ingestors = new ArrayList<>(); // filled before anything reads it
            BooleanSupplier healthy = () -> ingestors.stream().allMatch(UsageIngestor::healthy);
            AdminServer admin;
            try {
                for (int i = 0; i < config.threads(); i++) {
                    ingestors.add(new UsageIngestor(new KafkaConsumer<>(consumerProperties(config)), writer, producer,
                            config.dlqTopic(), metrics, quotas, config.common().usageTopic(), config.groupId(),
                            config.maxBatchWait()));
                }
                admin = AdminServer.start(config.adminPort(), new AdminToken(config.common().adminToken()),
                        new UsageQueries(jdbi, clock), new QuotaStore(jdbi), quotas::quotaChanged, registry,
                        healthy);
            } catch (RuntimeException e) {
                ingestors.forEach(UsageIngestor::closeUnstarted);
                producer.close(Duration.ofSeconds(5));
                throw e;
            }
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < ingestors.size(); i++) {
                Thread thread = new Thread(ingestors.get(i), "usage-ingestor-" + i);
                thread.start();
                threads.add(thread);
            }
            quotas.start(healthy);
            log.info("usage-consumer running: group {} ({} batch loops), topic {}, admin API on port {}",
                    config.groupId(), ingestors.size(), config.common().usageTopic(), admin.port());
            return new UsageConsumer(pool, ingestors, threads, producer, admin, quotas);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    static void migrateWithRetry(HikariDataSource pool, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                Database.migrate(pool);
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("migrations could not be applied within " + timeout.toSeconds()
                            + " s: " + e.getMessage(), e);
                }
                log.warn("database not ready for migrations ({}); retrying", e.getMessage());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the database", ie);
                }
            }
        }
    }

    static Properties consumerProperties(dev.metering.consumer.config.ConsumerConfig config) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.common().kafkaBootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxBatch());
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) Math.min(500, config.maxBatchWait().toMillis()));
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }

    static Properties producerProperties(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    /** The admin API's port. */
    public int adminPort() {
        return admin.port();
    }

    /** Stops every loop after its batch in hand, then closes the admin API, the producer and the pool. */
    @Override
    public void close() {
        ingestors.forEach(UsageIngestor::stop);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try {
            for (Thread thread : threads) {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close();
        quotas.close();
        dlqProducer.close(Duration.ofSeconds(5));
        pool.close();
        log.info("usage-consumer stopped");
    }
}
