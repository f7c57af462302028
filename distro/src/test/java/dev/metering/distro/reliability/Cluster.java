package dev.metering.distro.reliability;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.metering.infra.FreePorts;
import dev.metering.model.key.ProxyKeys;
import dev.metering.simulator.AnthropicSimulator;
import dev.metering.simulator.SimulatorOptions;

/**
 * The pipeline as separate processes from the built jar: {@code dev --infra-only} for Kafka and
 * PostgreSQL, a consumer and edges, with the simulated upstream in the test's own JVM.
 */
final class Cluster implements AutoCloseable {
    static final String SECRET = "reliability-secret";
    static final String TOKEN = "reliability-admin";
    static final ProxyKeys KEYS = new ProxyKeys(SECRET);
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    final Path data;
    final int kafkaPort = FreePorts.pick();
    final int postgresPort = FreePorts.pick();
    final AnthropicSimulator sim = AnthropicSimulator.start(SimulatorOptions.defaults()
            .withFirstByteDelay(Duration.ofMillis(5)).withEventInterval(Duration.ofMillis(2)));
    Jar infra;
    String bootstrap;
    String databaseUrl;

    Cluster() throws Exception {
        data = Files.createTempDirectory("reliability");
        try {
            startInfra();
        } catch (Exception | AssertionError e) {
            close(); // leave no broker or database behind when the start fails half-way
            throw e;
        }
    }

    void startInfra() throws Exception {
        infra = Jar.start(List.of("dev", "--infra-only", "--data-dir", data.toString(), "--kafka-port",
                Integer.toString(kafkaPort), "--postgres-port", Integer.toString(postgresPort)), Map.of(),
                line -> line.startsWith("PROXY_DATABASE_URL="));
        for (String line : infra.lines()) {
            if (line.startsWith("KAFKA_BOOTSTRAP_SERVERS=")) {
                bootstrap = line.substring(line.indexOf('=') + 1);
            } else if (line.startsWith("PROXY_DATABASE_URL=")) {
                databaseUrl = line.substring(line.indexOf('=') + 1);
            }
        }
    }

    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        env.put("PROXY_DATABASE_URL", databaseUrl);
        env.put("PROXY_ADMIN_TOKEN", TOKEN);
        env.put("PROXY_SHARED_SECRET", SECRET);
        env.put("ANTHROPIC_API_URL", sim.baseUrl().toString());
        env.put("ANTHROPIC_API_KEY", "sk-ant-reliability");
        env.put("METERING_TOPIC_PARTITIONS", "3");
        return env;
    }

    Jar consumer(Map<String, String> extra) throws Exception {
        Map<String, String> env = env();
        env.put("METERING_ADMIN_PORT", Integer.toString(FreePorts.pick()));
        env.putAll(extra);
        return Jar.start(List.of("consumer"), env, line -> line.contains("usage-consumer running"));
    }

    /** An edge on {@code port} with its spool in {@code spool}. */
    Jar edge(int port, Path spool, Map<String, String> extra) throws Exception {
        Map<String, String> env = env();
        env.put("PROXY_PORT", Integer.toString(port));
        env.put("PROXY_SPOOL_DIR", spool.toString());
        env.put("PROXY_EDGE_ID", "edge-" + port);
        env.putAll(extra);
        return Jar.start(List.of("edge"), env, line -> line.contains("listening on port"));
    }

    /** One call; the session id is how the ledger check finds it. */
    static HttpResponse<String> call(int edgePort, String user, String session, boolean stream) throws Exception {
        String body = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":32,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"reliability " + session + "\"}]}";
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edgePort + "/v1/messages"))
                .timeout(Duration.ofSeconds(60)).header("x-api-key", KEYS.issue(user)).header("x-matrix-session", session)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    Connection db() throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgresPort + "/metering", "postgres", "");
    }

    long single(String sql) throws Exception {
        try (Connection c = db(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() throws Exception {
        sim.close();
        if (infra != null) {
            infra.close();
        }
        dev.metering.infra.Directories.deleteRecursively(data);
    }
}
