package dev.metering.distro.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import dev.metering.infra.FreePorts;
import dev.metering.testkit.TopicReader;

/**
 * The quick part of the reliability suite, in {@code ./mvnw verify}: the built jar as separate
 * processes (infrastructure, consumer, edges), bounded load recorded call by call, faults
 * injected, and the ledger check after each. Prints the table; fails on anything lost or doubled.
 * The long part (infrastructure killed and restarted, Kafka frozen for 30 s) is
 * {@code ReliabilityLongIT}, under {@code -Preliability}.
 */
class ReliabilityIT extends ReliabilitySuite {
    ReliabilityIT() {
        super("reliability-quick.md");
    }

    @Test
    @Order(1)
    void consumerKilledMidBatchTwice() throws Exception {
        consumer.terminate();
        Calls calls = new Calls("consumer-kill");
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> calls.run(edgePort, 300, 6, false));
        Map<String, String> slow = Map.of("METERING_TEST_COMMIT_DELAY_MS", "300", "METERING_BATCH_MAX", "40");
        for (int kill = 0; kill < 2; kill++) {
            Jar c = cluster.consumer(slow);
            awaitOpenBatch();
            c.kill();
        }
        consumer = cluster.consumer(Map.of());
        load.get(5, TimeUnit.MINUTES);
        record(LedgerCheck.run(cluster, calls, Duration.ofSeconds(90)));
    }

    @Test
    @Order(2)
    void edgeTerminatedWithStreamsInFlight() throws Exception {
        int port = FreePorts.pick();
        Jar second = cluster.edge(port, Files.createTempDirectory("spool"), Map.of());
        Calls calls = new Calls("edge-sigterm");
        CompletableFuture<Void> release = new CompletableFuture<>();
        cluster.sim.holdStreams(release);
        int before = cluster.sim.requestCount();
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> calls.run(port, 10, 10, true));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (cluster.sim.requestCount() < before + 10 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
            try {
                second.terminate();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(500);
        assertThat(stopping).as("draining the streams").isNotDone();
        cluster.sim.holdStreams(null);
        release.complete(null);
        load.get(2, TimeUnit.MINUTES);
        stopping.get(2, TimeUnit.MINUTES);
        assertThat(calls.completedCount()).as("every stream in flight finished").isEqualTo(10);
        record(LedgerCheck.run(cluster, calls, Duration.ofSeconds(60)));
    }

    @Test
    @Order(3)
    void edgeKilledWithANonEmptySpoolAndRestarted() throws Exception {
        int port = FreePorts.pick();
        Path spool = Files.createTempDirectory("spool");
        // Kafka unreachable for this edge: every event can only be in its spool when it dies.
        Jar blind = cluster.edge(port, spool, Map.of("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + FreePorts.pick()));
        Calls calls = new Calls("edge-sigkill-spool");
        calls.run(port, 40, 4, true);
        blind.kill();
        Jar again = cluster.edge(port, spool, Map.of());
        try {
            record(LedgerCheck.run(cluster, calls, Duration.ofSeconds(90)));
        } finally {
            again.terminate();
        }
    }

    @Test
    @Order(4)
    void duplicatesAndPoisonOnTheTopic() throws Exception {
        Calls calls = new Calls("dup-poison");
        calls.run(edgePort, 40, 4, false);
        LedgerCheck.run(cluster, calls, Duration.ofSeconds(60));
        long deadBefore = dlqCount();
        // Re-send every record of the topic so far (as an edge re-sending its spool would), and poison.
        List<ProducerRecord<String, byte[]>> again = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : readTopic("usage-events")) {
            again.add(new ProducerRecord<>("usage-events", null, r.key(), r.value(), r.headers()));
        }
        again.add(new ProducerRecord<>("usage-events", "mallory", "{not json".getBytes(StandardCharsets.UTF_8)));
        again.add(new ProducerRecord<>("usage-events", "mallory", "{\"eventId\":\"x\"}".getBytes(StandardCharsets.UTF_8)));
        try (KafkaProducer<String, byte[]> p = producer()) {
            for (ProducerRecord<String, byte[]> r : again) {
                p.send(r).get();
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (dlqCount() < deadBefore + 2 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(dlqCount()).as("poison went to the dead-letter topic").isGreaterThanOrEqualTo(deadBefore + 2);
        record(LedgerCheck.run(cluster, calls, Duration.ofSeconds(60)));
    }

    private void awaitOpenBatch() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Connection c = cluster.db(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = 'metering' AND state = 'idle in transaction'")) {
                rs.next();
                if (rs.getLong(1) > 0) {
                    return;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no batch was ever open");
    }

    private long dlqCount() {
        return readTopic("usage-events.dlq").size();
    }

    private List<ConsumerRecord<String, byte[]>> readTopic(String topic) {
        return TopicReader.toEnd(cluster.bootstrap, topic);
    }

    private KafkaProducer<String, byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return new KafkaProducer<>(p);
    }
}
