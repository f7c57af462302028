package dev.metering.edge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

import dev.metering.edge.Edge;
import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestInfra;

/** The instance registry and message relay, shared by every edge through a compacted topic. */
class InstanceRegistryIT {
    private static final String TOKEN = "registry-admin-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    @InfraTest
    void aRegistrationAtOneEdgeRoutesAtAnotherAndADeletionAtThatOneStopsTheFirst(TestInfra infra) throws Exception {
        HttpServer gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        gateway.createContext("/api/message", ex -> {
            JsonNode msg = JSON.readTree(ex.getRequestBody().readAllBytes());
            byte[] out = ("{\"reply\":\"got " + msg.get("text").asText() + " from " + msg.at("/from/handle").asText() + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("content-type", "application/json");
            ex.sendResponseHeaders(200, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        gateway.start();
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of("PROXY_ADMIN_TOKEN", TOKEN))) {
            Edge a = f.edge;
            Edge b = f.anotherEdge();
            String gatewayUrl = "http://127.0.0.1:" + gateway.getAddress().getPort();

            HttpResponse<String> registered = send(f, a, "POST", "/instances/register", TOKEN,
                    "{\"handle\":\"gw-one\",\"gatewayUrl\":\"" + gatewayUrl + "\",\"shellPort\":7681}");
            assertThat(registered.body()).isEqualTo("{\"ok\":true,\"instances\":1}");

            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10))
                    .until(() -> send(f, b, "GET", "/instances", TOKEN, null).body().contains("gw-one"));
            JsonNode listed = JSON.readTree(send(f, b, "GET", "/instances", TOKEN, null).body());
            assertThat(listed.isArray()).isTrue();
            assertThat(listed.get(0).get("gatewayUrl").asText()).isEqualTo(gatewayUrl);
            assertThat(listed.get(0).get("shellPort").asInt()).isEqualTo(7681);
            Instant registeredAt = Instant.parse(listed.get(0).get("registeredAt").asText());
            Instant firstSeen = Instant.parse(listed.get(0).get("lastSeen").asText());

            HttpResponse<String> relayed = send(f, b, "POST", "/send/gw-one", TOKEN,
                    "{\"text\":\"hello\",\"from\":{\"handle\":\"gw-two\",\"displayName\":\"Two\"}}");
            assertThat(relayed.statusCode()).isEqualTo(200);
            assertThat(relayed.body()).isEqualTo("{\"reply\":\"got hello from gw-two\"}");

            Thread.sleep(5); // a later instant for lastSeen
            send(f, a, "POST", "/instances/register", TOKEN, "{\"handle\":\"gw-one\",\"gatewayUrl\":\"" + gatewayUrl + "\"}");
            await().atMost(Duration.ofSeconds(1)).until(() -> {
                JsonNode again = JSON.readTree(send(f, b, "GET", "/instances", TOKEN, null).body()).get(0);
                return Instant.parse(again.get("lastSeen").asText()).isAfter(firstSeen)
                        && Instant.parse(again.get("registeredAt").asText()).equals(registeredAt);
            });

            assertThat(send(f, b, "DELETE", "/instances/gw-one", TOKEN, null).body()).isEqualTo("{\"ok\":true}");
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() ->
                    send(f, a, "POST", "/send/gw-one", TOKEN, "{\"text\":\"x\",\"from\":{\"handle\":\"y\"}}").statusCode() == 404);
        } finally {
            gateway.stop(0);
        }
    }

    @InfraTest
    void allFourRoutesRefuseCallsWithoutTheTokenOrWithAWrongOne(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of("PROXY_ADMIN_TOKEN", TOKEN))) {
            List<String[]> routes = List.of(new String[] {"POST", "/instances/register", "{\"handle\":\"abc\",\"gatewayUrl\":\"http://x\"}"},
                    new String[] {"GET", "/instances", null}, new String[] {"DELETE", "/instances/abc", null},
                    new String[] {"POST", "/send/abc", "{\"text\":\"x\",\"from\":{\"handle\":\"y\"}}"});
            for (String[] r : routes) {
                assertThat(send(f, f.edge, r[0], r[1], null, r[2]).statusCode()).as("%s %s without token", r[0], r[1])
                        .isEqualTo(401);
                assertThat(send(f, f.edge, r[0], r[1], "wrong", r[2]).statusCode()).as("%s %s wrong token", r[0], r[1])
                        .isEqualTo(401);
            }
            assertThat(send(f, f.edge, "GET", "/instances", TOKEN, null).body()).isEqualTo("[]");
            assertThat(send(f, f.edge, "POST", "/instances/register", TOKEN, "{\"handle\":\"Bad Handle\",\"gatewayUrl\":\"http://x\"}")
                    .statusCode()).isEqualTo(400);
            assertThat(send(f, f.edge, "POST", "/instances/register", TOKEN, "{\"handle\":\"good\",\"gatewayUrl\":\"file:///etc\"}")
                    .statusCode()).isEqualTo(400);
        }
    }

    @InfraTest
    void aRelayToAHangingGatewayEndsIn504WhileTheEdgeKeepsServing(TestInfra infra) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        HttpServer hanging = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hanging.setExecutor(Executors.newFixedThreadPool(2));
        hanging.createContext("/api/message", ex -> {
            try {
                release.await(10, TimeUnit.SECONDS); // never answers within the relay timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        hanging.start();
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of("PROXY_ADMIN_TOKEN", TOKEN, "PROXY_RELAY_TIMEOUT_MS", "700"))) {
            send(f, f.edge, "POST", "/instances/register", TOKEN,
                    "{\"handle\":\"slow\",\"gatewayUrl\":\"http://127.0.0.1:" + hanging.getAddress().getPort() + "\"}");
            long t0 = System.nanoTime();
            CompletableFuture<HttpResponse<String>> relay = CompletableFuture.supplyAsync(() -> {
                try {
                    return send(f, f.edge, "POST", "/send/slow", TOKEN, "{\"text\":\"x\",\"from\":{\"handle\":\"y\"}}");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // Meanwhile the edge answers other calls at once.
            HttpResponse<String> health = f.get("/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(relay).as("still waiting on the gateway").isNotDone();

            HttpResponse<String> res = relay.get(10, TimeUnit.SECONDS);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(res.statusCode()).isEqualTo(504);
            assertThat(tookMs).as("ends at the relay timeout").isBetween(600L, 5000L);
        } finally {
            release.countDown();
            hanging.stop(0);
        }
    }

    private static HttpResponse<String> send(EdgeFixture f, Edge edge, String method, String path, String token, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(edge.url() + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("content-type", "application/json");
        }
        return f.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
