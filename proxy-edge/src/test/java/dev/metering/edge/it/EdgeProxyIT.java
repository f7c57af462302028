package dev.metering.edge.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.metering.model.event.Outcome;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.money.PriceTable;
import dev.metering.model.money.TokenUsage;
import dev.metering.simulator.Exchange;
import dev.metering.simulator.Fault;
import dev.metering.simulator.SimulatedUsage;
import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestInfra;

/** The edge against a real broker and the simulated upstream. */
class EdgeProxyIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SONNET = "claude-sonnet-4-5-20250929";

    static TokenUsage expectedUsage(Exchange e) throws Exception {
        SimulatedUsage u = SimulatedUsage.forRequest(JSON.readTree(e.requestBody()));
        return new TokenUsage(u.inputTokens(), u.outputTokens(), u.cacheReadTokens(), u.cacheWriteTokens());
    }

    static long expectedCost(String model, TokenUsage usage) {
        return PriceTable.bundled().cost(model, usage, Instant.now()).micros();
    }

    @InfraTest
    void streamReachesTheClientByteIdenticalAndBeginsBeforeTheUpstreamFinishes(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of())) {
            CompletableFuture<Void> release = new CompletableFuture<>();
            f.sim.holdStreams(release);
            HttpRequest req = HttpRequest.newBuilder(f.url("/v1/messages"))
                    .header("x-api-key", EdgeFixture.KEYS.issue("alice"))
                    .header("x-matrix-session", "s-1")
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(EdgeFixture.message(SONNET, true, "Tell me a story")))
                    .build();
            HttpResponse<InputStream> res = f.http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(res.headers().firstValue("content-type")).hasValueSatisfying(v -> v.startsWith("text/event-stream"));

            InputStream body = res.body();
            byte[] firstEvent = CompletableFuture.supplyAsync(() -> readUntilBlankLine(body)).get(10, TimeUnit.SECONDS);
            assertThat(new String(firstEvent, StandardCharsets.UTF_8)).startsWith("event: message_start");
            assertThat(f.sim.exchanges().get(0).finished()).as("upstream still streaming").isFalse();

            release.complete(null);
            byte[] rest = body.readAllBytes();
            byte[] received = concat(firstEvent, rest);
            Exchange upstream = f.sim.exchanges().get(0);
            assertThat(upstream.finished()).isTrue();
            assertThat(received).as("bytes the client received").isEqualTo(upstream.responseBody());

            UsageEvent e = f.exactlyEvents(1).get(0);
            TokenUsage usage = expectedUsage(upstream);
            assertThat(e.userId()).isEqualTo("alice");
            assertThat(e.sessionId()).isEqualTo("s-1");
            assertThat(e.model()).isEqualTo(SONNET);
            assertThat(e.stream()).isTrue();
            assertThat(e.status()).isEqualTo(200);
            assertThat(e.outcome()).isEqualTo(Outcome.COMPLETED);
            assertThat(new TokenUsage(e.inputTokens(), e.outputTokens(), e.cacheReadTokens(), e.cacheWriteTokens()))
                    .isEqualTo(usage);
            assertThat(e.costMicros()).isEqualTo(expectedCost(SONNET, usage)).isPositive();
            assertThat(e.edgeId()).isEqualTo("edge-it");
        }
    }

    @InfraTest
    void nonStreamingCallIsRelayedUnchangedAndMeteredFromTheBody(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of())) {
            String body = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":200,\"metadata\":{\"user_id\":\"cache-hit\"},"
                    + "\"system\":[{\"type\":\"text\",\"text\":\"You are terse.\",\"cache_control\":{\"type\":\"ephemeral\"}}],"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"" + "Count the stars. ".repeat(20) + "\"}]}";
            HttpResponse<String> res = f.post("/v1/messages", body, "authorization",
                    "Bearer " + EdgeFixture.KEYS.issue("bob"), "anthropic-version", "2023-06-01");
            assertThat(res.statusCode()).isEqualTo(200);
            Exchange upstream = f.sim.exchanges().get(0);
            assertThat(res.body()).isEqualTo(upstream.responseText());
            assertThat(res.headers().firstValue("request-id")).isPresent();
            // what went upstream: the shared key, never the caller's proxy key
            assertThat(upstream.requestHeaders()).containsEntry("x-api-key", "sk-ant-shared-upstream-key")
                    .doesNotContainKey("authorization").containsEntry("anthropic-version", "2023-06-01");
            assertThat(new String(upstream.requestBody(), StandardCharsets.UTF_8)).isEqualTo(body);

            UsageEvent e = f.exactlyEvents(1).get(0);
            TokenUsage usage = expectedUsage(upstream);
            assertThat(usage.cacheRead()).isPositive();
            assertThat(usage.cacheWrite()).isPositive();
            assertThat(e.userId()).isEqualTo("bob");
            assertThat(e.stream()).isFalse();
            assertThat(new TokenUsage(e.inputTokens(), e.outputTokens(), e.cacheReadTokens(), e.cacheWriteTokens()))
                    .isEqualTo(usage);
            assertThat(e.costMicros()).isEqualTo(expectedCost("claude-haiku-4-5", usage));
        }
    }

    @InfraTest
    void callersOwnKeyIsForwardedAndMeteredToTheMatrixUser(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of())) {
            HttpResponse<String> res = f.post("/v1/messages", EdgeFixture.message(SONNET, false, "hi"),
                    "x-api-key", "sk-ant-caller-own", "x-matrix-user", "dave");
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(f.sim.exchanges().get(0).requestHeaders()).containsEntry("x-api-key", "sk-ant-caller-own");
            assertThat(f.exactlyEvents(1).get(0).userId()).isEqualTo("dave");
        }
    }

    @InfraTest
    void upstreamErrorIsRelayedAndMeteredWithItsStatus(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of())) {
            f.sim.enqueueFault(Fault.status(529));
            HttpResponse<String> res = f.post("/v1/messages", EdgeFixture.message(SONNET, true, "hi"),
                    "x-api-key", EdgeFixture.KEYS.issue("alice"));
            assertThat(res.statusCode()).isEqualTo(529);
            assertThat(res.body()).isEqualTo(f.sim.exchanges().get(0).responseText()).contains("overloaded_error");
            UsageEvent e = f.exactlyEvents(1).get(0);
            assertThat(e.status()).isEqualTo(529);
            assertThat(e.outcome()).isEqualTo(Outcome.UPSTREAM_ERROR);
            assertThat(e.costMicros()).isZero();
        }
    }

    @InfraTest
    void clientThatDisconnectsMidStreamIsMeteredForWhatWasSeen(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of())) {
            CompletableFuture<Void> release = new CompletableFuture<>();
            f.sim.holdStreams(release);
            String body = EdgeFixture.message(SONNET, true, "A long answer please");
            try (Socket s = new Socket("127.0.0.1", f.edge.port())) {
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: " + EdgeFixture.KEYS.issue("erin")
                        + "\r\ncontent-type: application/json\r\ncontent-length: " + body.length() + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
                String seen = readUntil(s.getInputStream(), "message_start");
                assertThat(seen).contains("200");
            } // the client goes away while the upstream holds the stream
            release.complete(null);
            UsageEvent e = f.exactlyEvents(1).get(0);
            TokenUsage usage = expectedUsage(f.sim.exchanges().get(0));
            assertThat(e.outcome()).isEqualTo(Outcome.CLIENT_DISCONNECTED);
            assertThat(e.userId()).isEqualTo("erin");
            assertThat(e.inputTokens()).isEqualTo(usage.input());
            assertThat(e.outputTokens()).as("message_start says 1 so far").isEqualTo(1);
        }
    }

    @InfraTest
    void upstreamThatHangsGets504AndIsMetered(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of("PROXY_UPSTREAM_RESPONSE_TIMEOUT_MS", "400"))) {
            f.sim.enqueueFault(Fault.hang());
            long t0 = System.nanoTime();
            HttpResponse<String> res = f.post("/v1/messages", EdgeFixture.message(SONNET, false, "hi"),
                    "x-api-key", EdgeFixture.KEYS.issue("alice"));
            assertThat(res.statusCode()).isEqualTo(504);
            assertThat(res.body()).isEqualTo(
                    "{\"type\":\"error\",\"error\":{\"type\":\"timeout_error\",\"message\":\"Upstream timed out\"}}");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            UsageEvent e = f.exactlyEvents(1).get(0);
            assertThat(e.status()).isEqualTo(504);
            assertThat(e.outcome()).isEqualTo(Outcome.UPSTREAM_TIMEOUT);
            assertThat(e.model()).isEqualTo(SONNET);
        }
    }

    @InfraTest
    void unreachableUpstreamGets502AndIsMetered(TestInfra infra) throws Exception {
        int closedPort = dev.metering.infra.FreePorts.pick();
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of("ANTHROPIC_API_URL", "http://127.0.0.1:" + closedPort))) {
            HttpResponse<String> res = f.post("/v1/messages", EdgeFixture.message(SONNET, false, "hi"),
                    "x-api-key", EdgeFixture.KEYS.issue("alice"));
            assertThat(res.statusCode()).isEqualTo(502);
            assertThat(res.body()).contains("\"type\":\"error\"").contains("api_error");
            UsageEvent e = f.exactlyEvents(1).get(0);
            assertThat(e.status()).isEqualTo(502);
            assertThat(e.outcome()).isEqualTo(Outcome.UPSTREAM_UNREACHABLE);
        }
    }

    @InfraTest
    void refusedCallsGetClearStatusesAndAreNotMetered(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of("PROXY_MAX_BODY_BYTES", "4096"))) {
            HttpResponse<String> forged = f.post("/v1/messages", EdgeFixture.message(SONNET, false, "hi"),
                    "x-api-key", new dev.metering.model.key.ProxyKeys("other").issue("alice"));
            assertThat(forged.statusCode()).isEqualTo(401);
            assertThat(forged.body()).isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"auth_error\",\"message\":\"Unauthorized\"}}");

            HttpResponse<String> big = f.post("/v1/messages", "{\"x\":\"" + "a".repeat(5000) + "\"}",
                    "x-api-key", EdgeFixture.KEYS.issue("alice"));
            assertThat(big.statusCode()).isEqualTo(413);

            HttpResponse<String> traversal = f.post("/v1/%2e%2e/admin", "{}", "x-api-key", EdgeFixture.KEYS.issue("alice"));
            assertThat(traversal.statusCode()).isEqualTo(400);

            assertThat(f.get("/nope").statusCode()).isEqualTo(404);
            HttpResponse<String> health = f.get("/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).startsWith("{\"status\":\"ok\"");

            try (Socket s = new Socket("127.0.0.1", f.edge.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: x\r\nx-big: " + "b".repeat(70_000) + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(readUntil(s.getInputStream(), "\r\n")).startsWith("HTTP/1.1 431");
            }
            assertThat(f.sim.requestCount()).isZero();
            TopicEvents.exactly(f.bootstrap, f.topic, 0, Duration.ofSeconds(2));
        }
    }

    @InfraTest
    void withoutAnUpstreamKeyAKeylessCallerIsToldSo(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of("ANTHROPIC_API_KEY", ""))) {
            HttpResponse<String> res = f.post("/v1/messages", EdgeFixture.message(SONNET, false, "hi"));
            assertThat(res.statusCode()).isEqualTo(401);
            assertThat(res.body()).contains("No API key configured");
        }
    }

    @InfraTest
    void metricsKeepTheNamesDashboardsUse(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of())) {
            f.post("/v1/messages", EdgeFixture.message(SONNET, false, "hi"), "x-api-key", EdgeFixture.KEYS.issue("alice"));
            f.exactlyEvents(1);
            String metrics = f.get("/metrics").body();
            assertThat(metrics).contains("proxy_api_calls_total{model=\"" + SONNET + "\",status=\"200\",user_id=\"alice\"} 1.0")
                    .contains("proxy_api_cost_usd_total{model=\"" + SONNET + "\",user_id=\"alice\"}")
                    .contains("proxy_edge_overhead_seconds_bucket")
                    .containsPattern("proxy_edge_stage_seconds_count\\{stage=\"before_upstream\"} 1(\\.0)?\n")
                    .containsPattern("proxy_edge_stage_seconds_count\\{stage=\"spooling\"} 1(\\.0)?\n")
                    .containsPattern("proxy_edge_stage_seconds_count\\{stage=\"final_write\"} 1(\\.0)?\n")
                    .contains("proxy_events_spooled_total 1.0")
                    .contains("proxy_events_produced_total 1.0");
        }
    }

    @InfraTest
    void aRequestWithAnEmptyModelIsRelayedAndMeteredAsUnknown(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of())) {
            HttpResponse<String> res = f.post("/v1/messages", EdgeFixture.message("", false, "hi"),
                    "x-api-key", EdgeFixture.KEYS.issue("alice"));
            assertThat(res.statusCode()).isEqualTo(400);
            UsageEvent e = f.exactlyEvents(1).get(0);
            assertThat(e.model()).isEqualTo("unknown");
            assertThat(e.status()).isEqualTo(400);
            assertThat(f.get("/health").body()).as("the edge still serves").startsWith("{\"status\":\"ok\"");
        }
    }

    @InfraTest
    void aClientGoneBeforeTheHeadIsNotBilledThePreviousCallsUsageOnAReusedConnection(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of(),
                dev.metering.simulator.SimulatorOptions.defaults().withFirstByteDelay(Duration.ofMillis(500)))) {
            for (int i = 0; i < 8; i++) { // fill every event loop's upstream pool
                assertThat(f.post("/v1/messages", EdgeFixture.message(SONNET, false, "warm up " + i),
                        "x-api-key", EdgeFixture.KEYS.issue("alice")).statusCode()).isEqualTo(200);
            }
            String body = EdgeFixture.message(SONNET, true, "never mind");
            try (Socket s = new Socket("127.0.0.1", f.edge.port())) {
                s.getOutputStream().write(("POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: "
                        + EdgeFixture.KEYS.issue("gone") + "\r\ncontent-type: application/json\r\ncontent-length: "
                        + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> f.sim.requestCount() == 9);
            } // gone before the upstream's first byte
            List<UsageEvent> events = f.exactlyEvents(9);
            UsageEvent gone = events.stream().filter(e -> e.userId().equals("gone")).findFirst().orElseThrow();
            assertThat(gone.outcome()).isEqualTo(Outcome.CLIENT_DISCONNECTED);
            assertThat(gone.inputTokens() + gone.outputTokens() + gone.cacheReadTokens() + gone.cacheWriteTokens()).isZero();
            assertThat(gone.costMicros()).isZero();
        }
    }

    @InfraTest
    void pipelinedRequestsAreAnsweredInOrderWithoutInterleaving(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of())) {
            String stream = EdgeFixture.message(SONNET, true, "first");
            String key = EdgeFixture.KEYS.issue("alice");
            String both = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: " + key
                    + "\r\ncontent-type: application/json\r\ncontent-length: " + stream.length() + "\r\n\r\n" + stream
                    + "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
            try (Socket s = new Socket("127.0.0.1", f.edge.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(both.getBytes(StandardCharsets.UTF_8));
                String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                int stop = all.indexOf("event: message_stop");
                int health = all.indexOf("{\"status\":\"ok\"");
                assertThat(stop).isPositive();
                assertThat(health).as("the second response follows the whole first one").isGreaterThan(stop);
            }
        }
    }

    static byte[] readUntilBlankLine(InputStream in) {
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int prev = -1;
            int b;
            while ((b = in.read()) >= 0) {
                out.write(b);
                if (b == '\n' && prev == '\n') {
                    break;
                }
                prev = b;
            }
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String readUntil(InputStream in, String marker) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && sb.length() < 1_000_000) {
            sb.append((char) b);
            if (sb.indexOf(marker) >= 0) {
                break;
            }
        }
        return sb.toString();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static List<String> sessions(List<UsageEvent> events) {
        return events.stream().map(UsageEvent::sessionId).toList();
    }
}
