package dev.metering.edge.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;

import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestInfra;

/** The admin paths answer at the edge's address: token checked at the edge, then the consumer's API answers. */
class EdgeAdminRouteIT {
    private static final String TOKEN = "edge-admin-token";

    @InfraTest
    void adminPathsAreCheckedAtTheEdgeAndAnsweredByTheAdminApi(TestInfra infra) throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer admin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        admin.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            seen.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " " + ex.getRequestHeaders().getFirst("authorization")
                    + " " + body);
            byte[] out = ex.getRequestURI().getPath().equals("/usage/summary")
                    ? "[{\"userId\":\"alice\",\"daily\":1.5,\"monthly\":2,\"total\":3}]".getBytes(StandardCharsets.UTF_8)
                    : "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("content-type", "application/json");
            ex.sendResponseHeaders(200, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        admin.start();
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of("PROXY_ADMIN_TOKEN", TOKEN,
                "METERING_ADMIN_URL", "http://127.0.0.1:" + admin.getAddress().getPort()))) {
            assertThat(send(f, "GET", "/usage/summary", null, null).statusCode()).isEqualTo(401);
            assertThat(send(f, "GET", "/usage/summary", "wrong", null).statusCode()).isEqualTo(401);
            assertThat(send(f, "POST", "/quotas/alice", "wrong", "{}").statusCode()).isEqualTo(401);
            assertThat(seen).as("refused at the edge, never forwarded").isEmpty();

            HttpResponse<String> summary = send(f, "GET", "/usage/summary", TOKEN, null);
            assertThat(summary.statusCode()).isEqualTo(200);
            assertThat(summary.body()).isEqualTo("[{\"userId\":\"alice\",\"daily\":1.5,\"monthly\":2,\"total\":3}]");
            HttpResponse<String> quota = send(f, "POST", "/quotas/alice", TOKEN, "{\"dailyLimitUsd\":5}");
            assertThat(quota.body()).isEqualTo("{\"ok\":true}");
            assertThat(seen).containsExactly("GET /usage/summary Bearer " + TOKEN + " ",
                    "POST /quotas/alice Bearer " + TOKEN + " {\"dailyLimitUsd\":5}");
        } finally {
            admin.stop(0);
        }
    }

    @InfraTest
    void withoutAnAdminApiTheEdgeSaysSoAndADownApiIs502(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of("PROXY_ADMIN_TOKEN", TOKEN))) {
            HttpResponse<String> res = send(f, "GET", "/usage/summary", TOKEN, null);
            assertThat(res.statusCode()).isEqualTo(503);
            assertThat(res.body()).contains("METERING_ADMIN_URL");
        }
        int closed = dev.metering.infra.FreePorts.pick();
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of("PROXY_ADMIN_TOKEN", TOKEN,
                "METERING_ADMIN_URL", "http://127.0.0.1:" + closed))) {
            assertThat(send(f, "GET", "/usage/alice", TOKEN, null).statusCode()).isEqualTo(502);
        }
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of())) {
            assertThat(send(f, "GET", "/usage/summary", "anything", null).statusCode())
                    .as("no admin token configured: every admin call is 401").isEqualTo(401);
        }
    }

    private static HttpResponse<String> send(EdgeFixture f, String method, String path, String token, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(f.edge.url() + path)).timeout(Duration.ofSeconds(10))
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
