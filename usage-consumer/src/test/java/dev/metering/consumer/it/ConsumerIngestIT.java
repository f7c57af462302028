package dev.metering.consumer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.postgresql.ds.PGSimpleDataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.metering.consumer.UsageConsumer;
import dev.metering.consumer.db.LedgerWriter;
import dev.metering.consumer.db.Migrations;
import dev.metering.consumer.replay.Replay;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.event.UsageEventCodec;
import dev.metering.model.event.UsageEventRecords;
import dev.metering.model.money.Micros;
import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestDatabase;
import dev.metering.testkit.TestInfra;
import dev.metering.testkit.TopicReader;

/** The consumer against a real broker and PostgreSQL: exact counts, dead letters, summary, replay. */
class ConsumerIngestIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @InfraTest
    void countsEveryEventOnceSendsPoisonAsideSummarisesAndReplays(TestInfra infra) throws Exception {
        String topic = infra.createTopic("usage-events", 3, Map.of());
        TestDatabase db = infra.newDatabase();
        Instant now = Instant.now();
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        Instant monthStart = today.withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        List<Instant> times = List.of(now, monthStart.plus(1, ChronoUnit.HOURS), monthStart.minus(3, ChronoUnit.DAYS),
                monthStart.minus(400, ChronoUnit.DAYS));
        List<UsageEvent> events = Events.many(3000, List.of("alice", "bob", "summary", "carol"), times, 42);

        Events.produce(infra.kafkaBootstrapServers(), topic, events);
        Events.produce(infra.kafkaBootstrapServers(), topic, events.subList(0, 500)); // an edge re-sending its spool
        ProducerRecord<String, byte[]> valid = UsageEventRecords.toRecord(topic, events.get(0));
        List<ProducerRecord<String, byte[]>> poison = List.of(
                new ProducerRecord<>(topic, null, "alice", "not json".getBytes(StandardCharsets.UTF_8), valid.headers()),
                new ProducerRecord<>(topic, "alice", UsageEventCodec.encode(events.get(1))), // no CloudEvents headers
                new ProducerRecord<>(topic, null, "alice",
                        "{\"eventId\":\"00000000-0000-4000-8000-000000000000\"}".getBytes(StandardCharsets.UTF_8),
                        valid.headers()));
        Events.produceRaw(infra.kafkaBootstrapServers(), poison);

        Map<String, String> env = ConsumerFixture.env(infra, db, topic);
        try (UsageConsumer consumer = ConsumerFixture.start(env)) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> Ledger.rows(db) >= events.size());
            Ledger.assertExact(db, events);

            List<ConsumerRecord<String, byte[]>> dead = TopicReader.atLeast(infra.kafkaBootstrapServers(), topic + ".dlq", 3);
            assertThat(dead).hasSize(3);
            assertThat(dead).allSatisfy(r -> assertThat(r.headers().lastHeader("dlq-reason")).isNotNull());
            List<String> reasons = dead.stream()
                    .map(r -> new String(r.headers().lastHeader("dlq-reason").value(), StandardCharsets.UTF_8)).toList();
            assertThat(reasons).anySatisfy(r -> assertThat(r).startsWith("not JSON"))
                    .anySatisfy(r -> assertThat(r).startsWith("headers: not a CloudEvent"))
                    .anySatisfy(r -> assertThat(r).contains("missing"));

            // The summary: every user, daily / monthly / total from the rollups, and a user called
            // "summary" does not capture the route.
            HttpResponse<String> res = ConsumerFixture.get(consumer.adminPort(), "/usage/summary", ConsumerFixture.ADMIN_TOKEN);
            assertThat(res.statusCode()).isEqualTo(200);
            JsonNode summary = JSON.readTree(res.body());
            assertThat(summary.isArray()).isTrue();
            Map<String, BigDecimal[]> expected = expectedSpend(events, today);
            assertThat(summary).hasSize(4);
            for (JsonNode row : summary) {
                BigDecimal[] e = expected.get(row.get("userId").asText());
                assertThat(row.get("daily").decimalValue()).isEqualByComparingTo(e[0]);
                assertThat(row.get("monthly").decimalValue()).isEqualByComparingTo(e[1]);
                assertThat(row.get("total").decimalValue()).isEqualByComparingTo(e[2]);
            }
            JsonNode alice = JSON.readTree(ConsumerFixture.get(consumer.adminPort(), "/usage/alice",
                    ConsumerFixture.ADMIN_TOKEN).body());
            assertThat(alice.get("total").decimalValue()).isEqualByComparingTo(expected.get("alice")[2]);
            JsonNode nobody = JSON.readTree(ConsumerFixture.get(consumer.adminPort(), "/usage/nobody",
                    ConsumerFixture.ADMIN_TOKEN).body());
            assertThat(nobody.toString()).isEqualTo("{\"daily\":0,\"monthly\":0,\"total\":0}");
        }

        // Replay into an empty database reproduces the rollups exactly; a second replay changes nothing.
        TestDatabase fresh = infra.newDatabase();
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(fresh.jdbcUrl());
        ds.setUser(fresh.user());
        ds.setPassword(fresh.password());
        Migrations.apply(ds);
        LedgerWriter writer = new LedgerWriter(ds, Duration.ZERO);
        Replay.Report first = Replay.run(infra.kafkaBootstrapServers(), topic, writer, Optional.empty(), 1000);
        assertThat(first.inserted()).isEqualTo(3000);
        assertThat(first.duplicates()).isEqualTo(500);
        assertThat(first.invalid()).isEqualTo(3);
        assertThat(Ledger.rollups(fresh)).isEqualTo(Ledger.rollups(db));
        Replay.Report second = Replay.run(infra.kafkaBootstrapServers(), topic, writer, Optional.empty(), 1000);
        assertThat(second.inserted()).isZero();
        Ledger.assertExact(fresh, events);
    }

    @InfraTest
    void adminApiChecksItsTokenAndValidatesQuotas(TestInfra infra) throws Exception {
        String topic = infra.createTopic("usage-events", 1, Map.of());
        TestDatabase db = infra.newDatabase();
        try (UsageConsumer consumer = ConsumerFixture.start(ConsumerFixture.env(infra, db, topic))) {
            int port = consumer.adminPort();
            for (String path : List.of("/usage/summary", "/usage/alice")) {
                assertThat(ConsumerFixture.get(port, path, null).statusCode()).isEqualTo(401);
                assertThat(ConsumerFixture.get(port, path, "wrong").statusCode()).isEqualTo(401);
            }
            assertThat(ConsumerFixture.post(port, "/quotas/alice", null, "{}").statusCode()).isEqualTo(401);
            assertThat(ConsumerFixture.post(port, "/quotas/alice", "wrong", "{}").statusCode()).isEqualTo(401);

            Map<String, String> bad = new HashMap<>();
            bad.put("{\"dailyLimitUsd\":-1}", "dailyLimitUsd must be a non-negative number or null, not -1");
            bad.put("{\"dailyLimitUsd\":\"5\"}", "dailyLimitUsd must be a non-negative number or null, not \\\"5\\\"");
            bad.put("{\"monthlyLimitUsd\":true}", "monthlyLimitUsd must be a non-negative number or null, not true");
            bad.put("{\"dailyLimitUsd\":0.0000001}", "dailyLimitUsd has more than 6 decimals");
            bad.put("{\"dailyLimit\":5}", "unknown field dailyLimit");
            bad.put("[1]", "body must be a JSON object");
            bad.put("nope", "body is not JSON");
            for (var e : bad.entrySet()) {
                HttpResponse<String> res = ConsumerFixture.post(port, "/quotas/alice", ConsumerFixture.ADMIN_TOKEN, e.getKey());
                assertThat(res.statusCode()).as(e.getKey()).isEqualTo(400);
                assertThat(res.body()).as(e.getKey()).contains(e.getValue());
            }

            HttpResponse<String> ok = ConsumerFixture.post(port, "/quotas/alice", ConsumerFixture.ADMIN_TOKEN,
                    "{\"dailyLimitUsd\":5.25,\"monthlyLimitUsd\":null}");
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).isEqualTo("{\"ok\":true}");
            assertThat(Ledger.single(db, "SELECT count(*) FROM user_quotas WHERE user_id = 'alice' "
                    + "AND daily_limit_usd = 5.25 AND monthly_limit_usd IS NULL")).isEqualTo(1);
            assertThat(ConsumerFixture.get(port, "/nope", ConsumerFixture.ADMIN_TOKEN).statusCode()).isEqualTo(404);
            assertThat(ConsumerFixture.get(port, "/health", null).body()).startsWith("{\"status\":\"ok\"");
        }
    }

    @InfraTest
    void batchLoopsShareThePartitionsAndCountEveryEventOnce(TestInfra infra) throws Exception {
        String topic = infra.createTopic("usage-events", 6, Map.of());
        TestDatabase db = infra.newDatabase();
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            users.add("user-" + i);
        }
        List<UsageEvent> events = Events.many(6000, users, List.of(UsageEvent.occurredNow()), 7);
        Map<String, String> env = ConsumerFixture.env(infra, db, topic);
        env.put("METERING_CONSUMER_THREADS", "3");
        env.put("METERING_BATCH_MAX", "500");

        try (UsageConsumer consumer = ConsumerFixture.start(env)) {
            Events.produce(infra.kafkaBootstrapServers(), topic, events);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> Ledger.rows(db) >= events.size());
            Ledger.assertExact(db, events);

            // Three members of the group in this one process, each with its own two partitions,
            // once the group has settled (the first loop may have done all the work before the
            // others joined).
            Properties p = new Properties();
            p.put("bootstrap.servers", infra.kafkaBootstrapServers());
            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(p)) {
                String group = env.get("METERING_CONSUMER_GROUP");
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                    var described = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                    assertThat(described.groupState()).isEqualTo(org.apache.kafka.common.GroupState.STABLE);
                    var members = described.members();
                    assertThat(members).hasSize(3);
                    assertThat(members).allSatisfy(m -> assertThat(m.assignment().topicPartitions()).hasSize(2));
                    assertThat(members.stream().flatMap(m -> m.assignment().topicPartitions().stream()).distinct())
                            .hasSize(6);
                });
            }
        }
    }

    private static Map<String, BigDecimal[]> expectedSpend(List<UsageEvent> events, LocalDate today) {
        Map<String, long[]> micros = new HashMap<>();
        for (UsageEvent e : events) {
            LocalDate day = LocalDate.ofInstant(e.occurredAt(), ZoneOffset.UTC);
            long[] m = micros.computeIfAbsent(e.userId(), k -> new long[3]);
            if (day.equals(today)) {
                m[0] += e.costMicros();
            }
            if (!day.isBefore(today.withDayOfMonth(1))) {
                m[1] += e.costMicros();
            }
            m[2] += e.costMicros();
        }
        Map<String, BigDecimal[]> out = new HashMap<>();
        micros.forEach((u, m) -> out.put(u, new BigDecimal[] {Micros.toUsd(m[0]), Micros.toUsd(m[1]), Micros.toUsd(m[2])}));
        return out;
    }
}
