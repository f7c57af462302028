package dev.metering.edge.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import dev.metering.model.event.Outcome;
import dev.metering.model.event.UsageEvent;
import dev.metering.simulator.Fault;
import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestInfra;

/**
 * Hostile input against the edge: each case gets a clear status, none takes the edge down, and
 * no response carries the upstream key or the shared secret.
 */
class HostileInputIT {
    private static final String UPSTREAM_KEY = "sk-ant-shared-upstream-key";

    @InfraTest
    void malformedTruncatedInjectedAndSlowRequestsGetClearStatusesAndTheEdgeStaysUp(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of("PROXY_CLIENT_IDLE_TIMEOUT_MS", "800"))) {
            assertThat(raw(f, "GARBAGE\r\n\r\n")).startsWith("HTTP/1.1 400");
            assertThat(raw(f, "GET /health HTTP/1.1\r\nHost: x\r\nX-Evil: a\rInjected: b\r\n\r\n")).startsWith("HTTP/1.1 400");
            assertThat(raw(f, "GET /health HTTP/1.1\r\nHost: x\r\nBad Header Name: v\r\n\r\n")).startsWith("HTTP/1.1 400");
            assertThat(raw(f, "GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 414");
            // Truncated: a request cut off half-way, then the client goes away.
            try (Socket s = new Socket("127.0.0.1", f.edge.port())) {
                s.getOutputStream().write("POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-length: 500\r\n\r\n{\"mod"
                        .getBytes(StandardCharsets.US_ASCII));
            }
            // Slowloris: headers dribbled in, never finished; the edge answers 408 and closes.
            try (Socket s = new Socket("127.0.0.1", f.edge.port())) {
                s.setSoTimeout(5000);
                s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 408");
            }
            // Forged and malformed keys, admin paths without and with a wrong token.
            for (String key : List.of("SK-PROXY-" + EdgeFixture.KEYS.issue("alice").substring(9), "sk-proxy-alice",
                    new dev.metering.model.key.ProxyKeys("wrong").issue("alice"), "sk-proxy-Alice.abc")) {
                HttpResponse<String> r = f.post("/v1/messages", EdgeFixture.message("claude-sonnet-4-5", false, "x"),
                        "x-api-key", key);
                assertThat(r.statusCode()).isEqualTo(401);
                assertThat(r.body()).doesNotContain(UPSTREAM_KEY).doesNotContain(EdgeFixture.SECRET);
            }
            assertThat(f.get("/usage/summary").statusCode()).isEqualTo(401);
            assertThat(f.post("/quotas/alice", "{}", "authorization", "Bearer nope").statusCode()).isEqualTo(401);
            assertThat(f.post("/v1/../v1/messages", "{}", "x-api-key", EdgeFixture.KEYS.issue("alice")).statusCode())
                    .isIn(400, 404);

            assertThat(f.get("/health").statusCode()).as("still serving").isEqualTo(200);
            assertThat(f.sim.requestCount()).as("nothing hostile reached the upstream").isZero();
        }
    }

    @InfraTest
    void garbageSseAndAStreamCutMidEventAreRelayedMeteredAndSurvived(TestInfra infra) throws Exception {
        PrintStream stderr = System.err;
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of())) {
            System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
            f.sim.enqueueFault(Fault.garbage());
            HttpResponse<String> garbage = f.post("/v1/messages", EdgeFixture.message("claude-sonnet-4-5", true, "x"),
                    "x-api-key", EdgeFixture.KEYS.issue("alice"));
            assertThat(garbage.statusCode()).isEqualTo(200);
            assertThat(garbage.body()).isEqualTo(f.sim.exchanges().get(0).responseText());

            f.sim.enqueueFault(Fault.closeAfterEvents(2));
            try (Socket s = new Socket("127.0.0.1", f.edge.port())) {
                String body = EdgeFixture.message("claude-sonnet-4-5", true, "cut");
                s.setSoTimeout(10_000);
                s.getOutputStream().write(("POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: " + EdgeFixture.KEYS.issue("bob")
                        + "\r\ncontent-type: application/json\r\ncontent-length: " + body.length() + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
                InputStream in = s.getInputStream();
                String seen = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertThat(seen).contains("message_start").doesNotContain("0\r\n\r\n"); // cut off, not completed
            }
            List<UsageEvent> events = f.exactlyEvents(2);
            UsageEvent cut = events.stream().filter(e -> e.userId().equals("bob")).findFirst().orElseThrow();
            assertThat(cut.outcome()).isEqualTo(Outcome.UPSTREAM_UNREACHABLE);
            assertThat(cut.inputTokens()).as("what was seen still counts").isPositive();
            assertThat(f.get("/health").statusCode()).isEqualTo(200);
        } finally {
            System.setErr(stderr);
        }
        assertThat(logs.toString(StandardCharsets.UTF_8)).as("logs carry no secrets")
                .doesNotContain(UPSTREAM_KEY).doesNotContain(EdgeFixture.SECRET).doesNotContain(EdgeFixture.KEYS.issue("bob"));
    }

    private static String raw(EdgeFixture f, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", f.edge.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
