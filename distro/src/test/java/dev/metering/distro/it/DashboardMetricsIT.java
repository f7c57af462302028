package dev.metering.distro.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.metering.edge.Edge;
import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestInfra;

/** Every metric the Grafana dashboard queries is one the edge or the consumer actually exports. */
class DashboardMetricsIT {
    private static final Pattern METRIC = Pattern.compile("\\b((?:proxy|metering)_[a-z_]+)");

    @InfraTest
    void dashboardQueriesOnlyExportedMetrics(TestInfra infra) throws Exception {
        JsonNode dash = new ObjectMapper().readTree(
                Files.readString(Path.of("..", "compose", "grafana", "metering-dashboard.json")));
        Set<String> queried = new TreeSet<>();
        for (JsonNode panel : dash.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                Matcher m = METRIC.matcher(target.get("expr").asText());
                while (m.find()) {
                    queried.add(m.group(1).replaceAll("_(bucket|sum|count)$", ""));
                }
            }
        }
        try (Pipeline p = new Pipeline(infra)) {
            Edge edge = p.edge(Map.of(), Clock.systemUTC());
            await().atMost(Duration.ofSeconds(30)).until(() -> edge.quota().ready());
            Pipeline.setQuota(edge, "dash", "{\"dailyLimitUsd\":0.000001}");
            await().atMost(Duration.ofSeconds(1)).until(() -> edge.quota().stateOf("dash").isPresent());
            Pipeline.call(edge, "unpriced", "model-from-the-future-1", "a model with no price");
            Pipeline.call(edge, "dash", "one");
            Pipeline.call(edge, "dash", "refused");
            String exported = Pipeline.get(edge, "/metrics").body() + Pipeline.HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + p.consumer.adminPort() + "/metrics")).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(queried).isNotEmpty();
            for (String metric : queried) {
                assertThat(exported).as(metric).contains(metric);
            }
        }
    }
}
