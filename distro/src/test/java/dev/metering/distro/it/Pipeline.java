package dev.metering.distro.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.metering.consumer.UsageConsumer;
import dev.metering.consumer.config.ConsumerConfig;
import dev.metering.edge.Edge;
import dev.metering.edge.config.EdgeConfig;
import dev.metering.model.config.Env;
import dev.metering.model.key.ProxyKeys;
import dev.metering.simulator.AnthropicSimulator;
import dev.metering.simulator.SimulatorOptions;
import dev.metering.testkit.TestDatabase;
import dev.metering.testkit.TestInfra;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** The whole pipeline in one test JVM: a consumer, the simulated upstream, and edges on demand. */
final class Pipeline implements AutoCloseable {
    static final String SECRET = "pipeline-shared-secret";
    static final String ADMIN = "pipeline-admin-token";
    static final ProxyKeys KEYS = new ProxyKeys(SECRET);
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    final Map<String, String> env = new HashMap<>();
    final TestDatabase db;
    final AnthropicSimulator sim;
    UsageConsumer consumer;
    final List<Edge> edges = new ArrayList<>();

    Pipeline(TestInfra infra) {
        db = infra.newDatabase();
        sim = AnthropicSimulator.start(SimulatorOptions.defaults().withFirstByteDelay(Duration.ofMillis(5))
                .withEventInterval(Duration.ofMillis(1)));
        env.put("KAFKA_BOOTSTRAP_SERVERS", infra.kafkaBootstrapServers());
        env.put("METERING_USAGE_TOPIC", TestInfra.uniqueName("usage-events"));
        env.put("METERING_QUOTA_TOPIC", TestInfra.uniqueName("quota-state"));
        env.put("METERING_TOPIC_PARTITIONS", "3");
        env.put("METERING_CONSUMER_GROUP", TestInfra.uniqueName("group"));
        env.put("METERING_ADMIN_PORT", "0");
        env.put("PROXY_DATABASE_URL", db.libpqUrl());
        env.put("PROXY_ADMIN_TOKEN", ADMIN);
        env.put("PROXY_SHARED_SECRET", SECRET);
        env.put("ANTHROPIC_API_URL", sim.baseUrl().toString());
        env.put("ANTHROPIC_API_KEY", "sk-ant-pipeline");
        env.put("PROXY_PORT", "0");
        consumer = UsageConsumer.start(ConsumerConfig.fromEnv(Env.of(env)), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        env.put("METERING_ADMIN_URL", "http://127.0.0.1:" + consumer.adminPort());
    }

    Edge edge(Map<String, String> extra, Clock clock) throws Exception {
        Map<String, String> e = new HashMap<>(env);
        e.put("PROXY_SPOOL_DIR", Files.createTempDirectory("pipeline-spool").toString());
        e.put("PROXY_EDGE_ID", "edge-" + edges.size());
        e.putAll(extra);
        Edge edge = Edge.start(EdgeConfig.fromEnv(Env.of(e), Optional.empty()),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), clock);
        edges.add(edge);
        return edge;
    }

    static HttpResponse<String> call(Edge edge, String user, String text) throws Exception {
        return call(edge, user, "claude-sonnet-4-5", text);
    }

    static HttpResponse<String> call(Edge edge, String user, String model, String text) throws Exception {
        String body = "{\"model\":\"" + model + "\",\"max_tokens\":40,\"messages\":[{\"role\":\"user\",\"content\":\""
                + text + "\"}]}";
        return HTTP.send(HttpRequest.newBuilder(URI.create(edge.url() + "/v1/messages")).timeout(Duration.ofSeconds(30))
                .header("x-api-key", KEYS.issue(user)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> setQuota(Edge edge, String user, String json) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(edge.url() + "/quotas/" + user)).timeout(Duration.ofSeconds(30))
                .header("authorization", "Bearer " + ADMIN).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(Edge edge, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(edge.url() + path)).timeout(Duration.ofSeconds(30))
                .header("authorization", "Bearer " + ADMIN).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    void stopConsumer() {
        if (consumer != null) {
            consumer.close();
            consumer = null;
        }
    }

    @Override
    public void close() {
        edges.forEach(Edge::close);
        stopConsumer();
        sim.close();
    }
}
