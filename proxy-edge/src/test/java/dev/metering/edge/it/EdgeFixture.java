package dev.metering.edge.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.metering.edge.Edge;
import dev.metering.edge.config.EdgeConfig;
import dev.metering.model.config.Env;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.key.ProxyKeys;
import dev.metering.simulator.AnthropicSimulator;
import dev.metering.simulator.SimulatorOptions;
import dev.metering.testkit.TestInfra;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** A simulated upstream, an edge in front of it and a topic of the test's own. */
final class EdgeFixture implements AutoCloseable {
    static final String SECRET = "proxy-shared-secret";
    static final ProxyKeys KEYS = new ProxyKeys(SECRET);

    final AnthropicSimulator sim;
    final Edge edge;
    final String topic;
    final String bootstrap;
    final Path spoolDir;
    final Map<String, String> env;
    final java.util.List<Edge> others = new java.util.ArrayList<>();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private EdgeFixture(AnthropicSimulator sim, Edge edge, String topic, String bootstrap, Path spoolDir,
            Map<String, String> env) {
        this.env = env;
        this.sim = sim;
        this.edge = edge;
        this.topic = topic;
        this.bootstrap = bootstrap;
        this.spoolDir = spoolDir;
    }

    static EdgeFixture start(TestInfra infra, Map<String, String> extraEnv) {
        return start(infra, extraEnv, SimulatorOptions.defaults());
    }

    static EdgeFixture start(TestInfra infra, Map<String, String> extraEnv, SimulatorOptions simOptions) {
        String topic = infra.createTopic("usage-events", 3, Map.of());
        AnthropicSimulator sim = AnthropicSimulator.start(simOptions);
        Path spool;
        try {
            spool = Files.createTempDirectory("edge-spool");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> env = new HashMap<>(baseEnv(sim.baseUrl(), infra.kafkaBootstrapServers(), topic, spool));
        env.put("METERING_QUOTA_TOPIC", infra.createTopic("quota-state", 1, Map.of("cleanup.policy", "compact")));
        env.put("METERING_INSTANCES_TOPIC", infra.createTopic("instances", 1, Map.of("cleanup.policy", "compact")));
        env.putAll(extraEnv);
        Edge edge = Edge.start(EdgeConfig.fromEnv(Env.of(env), Optional.empty()),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        return new EdgeFixture(sim, edge, topic, infra.kafkaBootstrapServers(), spool, env);
    }

    static Map<String, String> baseEnv(URI upstream, String bootstrap, String topic, Path spool) {
        Map<String, String> env = new HashMap<>();
        env.put("PROXY_PORT", "0");
        env.put("ANTHROPIC_API_URL", upstream.toString());
        env.put("ANTHROPIC_API_KEY", "sk-ant-shared-upstream-key");
        env.put("PROXY_SHARED_SECRET", SECRET);
        env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        env.put("METERING_USAGE_TOPIC", topic);
        env.put("PROXY_SPOOL_DIR", spool.toString());
        env.put("PROXY_EDGE_ID", "edge-it");
        return env;
    }

    /** Another edge on the same topics and upstream, with a spool of its own. */
    Edge anotherEdge() throws IOException {
        Map<String, String> e = new HashMap<>(env);
        e.put("PROXY_SPOOL_DIR", Files.createTempDirectory("edge-spool").toString());
        e.put("PROXY_EDGE_ID", "edge-it-" + (others.size() + 2));
        Edge edge = Edge.start(EdgeConfig.fromEnv(Env.of(e), Optional.empty()),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        others.add(edge);
        return edge;
    }

    URI url(String path) {
        return URI.create(edge.url() + path);
    }

    HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Exactly {@code n} events on the topic: waits for them, then checks no more arrive. */
    List<UsageEvent> exactlyEvents(int n) {
        return TopicEvents.exactly(bootstrap, topic, n, Duration.ofSeconds(30));
    }

    static String message(String model, boolean stream, String text) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":64,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    @Override
    public void close() {
        others.forEach(Edge::close);
        edge.close();
        sim.close();
    }
}
