package dev.metering.distro.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.metering.edge.Edge;
import dev.metering.model.money.PriceTable;
import dev.metering.model.money.TokenUsage;
import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestInfra;

/** Quotas end to end: consumer, quota-state topic, two edges, real broker and PostgreSQL. */
class QuotaEnforcementIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        volatile Instant now;

        MovableClock(Instant start) {
            now = start;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static long cost(HttpResponse<String> res) throws Exception {
        JsonNode u = JSON.readTree(res.body()).get("usage");
        TokenUsage usage = new TokenUsage(u.get("input_tokens").asLong(), u.get("output_tokens").asLong(),
                u.get("cache_read_input_tokens").asLong(), u.get("cache_creation_input_tokens").asLong());
        return PriceTable.bundled().cost("claude-sonnet-4-5", usage, Instant.now()).micros();
    }

    @InfraTest
    void quotasHoldAtBothEdgesAndStopUsersExactlyAtTheLimit(TestInfra infra) throws Exception {
        try (Pipeline p = new Pipeline(infra)) {
            Edge a = p.edge(Map.of(), Clock.systemUTC());
            Edge b = p.edge(Map.of(), Clock.systemUTC());
            await().atMost(Duration.ofSeconds(30)).until(() -> a.quota().ready() && b.quota().ready());

            // POST /quotas at edge A takes effect at both edges within 1 s.
            assertThat(Pipeline.setQuota(a, "alice", "{\"dailyLimitUsd\":0.002,\"monthlyLimitUsd\":null}").body())
                    .isEqualTo("{\"ok\":true}");
            long posted = System.nanoTime();
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(5)).until(() ->
                    limitAt(a, "alice") == 2000 && limitAt(b, "alice") == 2000);
            System.out.printf("quota propagation to two edges: %d ms%n", (System.nanoTime() - posted) / 1_000_000);

            // One edge, sequential calls: the first refusal is the first call made after spend reached the limit.
            long spent = 0;
            boolean refused = false;
            for (int i = 0; i < 100 && !refused; i++) {
                HttpResponse<String> res = Pipeline.call(a, "alice", "Sequential call number " + i + " please");
                if (spent < 2000) {
                    assertThat(res.statusCode()).as("call %d with %d spent", i, spent).isEqualTo(200);
                    spent += cost(res);
                } else {
                    assertThat(res.statusCode()).as("call %d with %d spent", i, spent).isEqualTo(429);
                    JsonNode body = JSON.readTree(res.body());
                    assertThat(body.at("/error/type").asText()).isEqualTo("quota_exceeded");
                    assertThat(body.at("/quota/dailyLimit").decimalValue()).isEqualByComparingTo("0.002");
                    assertThat(body.at("/quota/dailyUsed").decimalValue().movePointRight(6).longValueExact()).isEqualTo(spent);
                    assertThat(body.at("/quota/monthlyLimit").isNull()).isTrue();
                    refused = true;
                }
            }
            assertThat(refused).isTrue();
            // ...and the other edge refuses alice too, once the consumer's state reaches it.
            await().atMost(Duration.ofSeconds(5)).until(() -> Pipeline.call(b, "alice", "other edge").statusCode() == 429);

            // One edge under 32 concurrent callers overshoots by at most one call's cost.
            assertThat(Pipeline.setQuota(a, "bob", "{\"dailyLimitUsd\":0.01}").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(1)).until(() -> limitAt(a, "bob") == 10_000);
            AtomicLong total = new AtomicLong();
            AtomicLong largest = new AtomicLong();
            List<CompletableFuture<Void>> callers = new ArrayList<>();
            for (int t = 0; t < 32; t++) {
                int id = t;
                callers.add(CompletableFuture.runAsync(() -> {
                    try {
                        for (int i = 0; i < 20; i++) {
                            HttpResponse<String> res = Pipeline.call(a, "bob", "caller " + id + " call " + i);
                            if (res.statusCode() != 200) {
                                return;
                            }
                            long c = cost(res);
                            total.addAndGet(c);
                            largest.accumulateAndGet(c, Math::max);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).get();
            System.out.printf("32 concurrent callers, one edge: spent %d micro-USD against a limit of 10000 "
                    + "(overshoot %d, largest call %d)%n", total.get(), total.get() - 10_000, largest.get());
            assertThat(total.get()).isGreaterThanOrEqualTo(10_000).isLessThanOrEqualTo(10_000 + largest.get());
        }
    }

    @InfraTest
    void aUserOverTheDailyLimitIsAllowedAgainAfterTheUtcDayRollsOver(TestInfra infra) throws Exception {
        try (Pipeline p = new Pipeline(infra)) {
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            MovableClock clock = new MovableClock(today.atTime(23, 59, 58).toInstant(ZoneOffset.UTC));
            Edge edge = p.edge(Map.of(), clock);
            await().atMost(Duration.ofSeconds(30)).until(() -> edge.quota().ready());
            Pipeline.setQuota(edge, "carol", "{\"dailyLimitUsd\":0.000001}");
            await().atMost(Duration.ofSeconds(1)).until(() -> limitAt(edge, "carol") == 1);
            assertThat(Pipeline.call(edge, "carol", "spend a little").statusCode()).isEqualTo(200);
            assertThat(Pipeline.call(edge, "carol", "and more").statusCode()).isEqualTo(429);

            clock.now = today.plusDays(1).atTime(0, 0, 1).toInstant(ZoneOffset.UTC);
            assertThat(Pipeline.call(edge, "carol", "a new day").statusCode()).isEqualTo(200);
        }
    }

    @InfraTest
    void withTheConsumerStoppedEdgesEnforceFromLastStateAndOwnSpendThenFollowTheFailMode(TestInfra infra)
            throws Exception {
        try (Pipeline p = new Pipeline(infra)) {
            Edge closed = p.edge(Map.of("PROXY_QUOTA_STALE_AFTER_MS", "3000", "PROXY_QUOTA_FAIL_MODE", "closed"),
                    Clock.systemUTC());
            Edge open = p.edge(Map.of("PROXY_QUOTA_STALE_AFTER_MS", "3000"), Clock.systemUTC());
            await().atMost(Duration.ofSeconds(30)).until(() -> closed.quota().ready() && open.quota().ready());
            Pipeline.setQuota(closed, "dave", "{\"dailyLimitUsd\":0.0015}");
            await().atMost(Duration.ofSeconds(1)).until(() -> limitAt(closed, "dave") == 1500 && limitAt(open, "dave") == 1500);

            p.stopConsumer();
            long spent = 0;
            int calls = 0;
            while (spent < 1500 && calls++ < 100) {
                HttpResponse<String> res = Pipeline.call(closed, "dave", "no consumer " + calls);
                assertThat(res.statusCode()).isEqualTo(200);
                spent += cost(res);
            }
            assertThat(Pipeline.call(closed, "dave", "over").statusCode()).as("own spend still counts").isEqualTo(429);

            // Both edges heard the last heartbeat at about the same time; wait until both know it is too old.
            await().atMost(Duration.ofSeconds(15)).until(() -> closed.quota().stale() && open.quota().stale());
            HttpResponse<String> unavailable = Pipeline.call(closed, "erin", "stale");
            assertThat(unavailable.statusCode()).isEqualTo(503);
            assertThat(unavailable.body()).contains("Quota state unavailable");
            assertThat(Pipeline.call(open, "erin", "stale but open").statusCode()).isEqualTo(200);
            assertThat(Pipeline.get(open, "/metrics").body()).containsPattern("proxy_quota_stale_decisions_total [1-9]");
            assertThat(Pipeline.get(open, "/metrics").body()).contains("proxy_quota_state_age_seconds");
        }
    }

    private static long limitAt(Edge edge, String user) {
        return edge.quota().stateOf(user).flatMap(s -> s.dailyLimitMicros().isPresent()
                ? java.util.Optional.of(s.dailyLimitMicros().getAsLong()) : java.util.Optional.empty()).orElse(-1L);
    }
}
