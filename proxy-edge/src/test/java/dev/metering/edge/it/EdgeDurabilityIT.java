package dev.metering.edge.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import dev.metering.edge.Edge;
import dev.metering.edge.config.EdgeConfig;
import dev.metering.infra.EmbeddedKafka;
import dev.metering.infra.FreePorts;
import dev.metering.model.config.Env;
import dev.metering.model.event.UsageEvent;
import dev.metering.simulator.AnthropicSimulator;
import dev.metering.simulator.SimulatorOptions;
import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestInfra;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** No call whose response completed goes unmetered: not when Kafka is down, not when the edge is killed. */
class EdgeDurabilityIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @InfraTest
    void edgeKilledRightAfterResponsesCompletedDeliversEveryEventAfterRestart(TestInfra infra) throws Exception {
        String topic = infra.createTopic("usage-events", 3, Map.of());
        Path spool = Files.createTempDirectory("edge-spool");
        try (AnthropicSimulator sim = AnthropicSimulator.start(SimulatorOptions.defaults().withEventInterval(Duration.ofMillis(1)))) {
            Map<String, String> env = new HashMap<>(EdgeFixture.baseEnv(sim.baseUrl(), infra.kafkaBootstrapServers(), topic, spool));
            // First life: Kafka unreachable, so every event can only be in the spool when the edge dies.
            env.put("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + FreePorts.pick());
            Set<String> sessions = new HashSet<>();
            EdgeProcess first = EdgeProcess.start(env, Files.createTempFile("edge-first", ".log"));
            try {
                for (int i = 0; i < 20; i++) {
                    String session = "crash-" + i;
                    HttpResponse<String> res = call(first.port, i % 2 == 0, session);
                    assertThat(res.statusCode()).isEqualTo(200);
                    sessions.add(session);
                }
            } finally {
                first.kill();
            }
            assertThat(first.process.exitValue()).as("killed by SIGKILL").isEqualTo(137);

            env.put("KAFKA_BOOTSTRAP_SERVERS", infra.kafkaBootstrapServers());
            try (EdgeProcess second = EdgeProcess.start(env, Files.createTempFile("edge-second", ".log"))) {
                List<UsageEvent> events = TopicEvents.atLeast(infra.kafkaBootstrapServers(), topic, 20,
                        Duration.ofSeconds(60), Duration.ofMillis(500));
                assertThat(events.stream().map(UsageEvent::sessionId).collect(Collectors.toSet())).isEqualTo(sessions);
                assertThat(events.stream().map(UsageEvent::eventId).distinct().count()).isEqualTo(20);
            }
        }
    }

    @InfraTest
    void callsSucceedWhileTheBrokerIsDownAndEveryEventArrivesWhenItIsBack(TestInfra infra) throws Exception {
        Path kafkaDir = Files.createTempDirectory("outage-kafka");
        int kafkaPort = FreePorts.pick();
        EmbeddedKafka kafka = EmbeddedKafka.start(kafkaDir, kafkaPort, false);
        String bootstrap = kafka.bootstrapServers();
        String topic = "usage-events-outage";
        createTopic(bootstrap, topic);
        Path spool = Files.createTempDirectory("edge-spool");
        try (AnthropicSimulator sim = AnthropicSimulator.start(SimulatorOptions.defaults().withEventInterval(Duration.ofMillis(1)))) {
            Edge edge = Edge.start(EdgeConfig.fromEnv(Env.of(EdgeFixture.baseEnv(sim.baseUrl(), bootstrap, topic, spool)),
                    Optional.empty()), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
            try {
                assertThat(call(edge.port(), false, "before").statusCode()).isEqualTo(200);
                TopicEvents.exactly(bootstrap, topic, 1, Duration.ofSeconds(30));

                kafka.close();
                kafka = null;
                for (int i = 0; i < 10; i++) {
                    assertThat(call(edge.port(), i % 2 == 0, "during-" + i).statusCode()).isEqualTo(200);
                }
                assertThat(edge.pendingSpoolBytes()).isPositive();

                kafka = EmbeddedKafka.start(kafkaDir, kafkaPort, false);
                List<UsageEvent> events = TopicEvents.atLeast(bootstrap, topic, 11, Duration.ofSeconds(90),
                        Duration.ofMillis(500));
                Map<String, String> sessionByEventId = new HashMap<>();
                for (UsageEvent e : events) {
                    String previous = sessionByEventId.putIfAbsent(e.eventId(), e.sessionId());
                    assertThat(previous).as("an event id names one call").isIn(null, e.sessionId());
                }
                assertThat(sessionByEventId).hasSize(11);
                assertThat(new HashSet<>(sessionByEventId.values())).hasSize(11).contains("before", "during-0", "during-9");
            } finally {
                edge.close();
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
            dev.metering.infra.Directories.deleteRecursively(kafkaDir);
        }
    }

    private static void createTopic(String bootstrap, String topic) throws Exception {
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 3, (short) 1))).all().get();
        }
    }

    static HttpResponse<String> call(int port, boolean stream, String session) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/messages"))
                .timeout(Duration.ofSeconds(30))
                .header("x-api-key", EdgeFixture.KEYS.issue("alice"))
                .header("x-matrix-session", session)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(EdgeFixture.message("claude-sonnet-4-5", stream, "hello " + session)))
                .build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    }
}
