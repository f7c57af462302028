package dev.metering.distro;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * The wiring points of SPEC §13 and §14 in every deployment file: secrets reach the edges, the
 * consumer gets the database, services wait on health checks, the platform's summary call can
 * carry the admin token, and nothing of the old SQLite proxy is left.
 */
class ComposeWiringTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    static Stream<Path> composeFiles() {
        return Stream.of("compose/docker-compose.yml", "distro/docker-compose.local.yml",
                "distro/docker-compose.multi.yml", "distro/docker-compose.platform.yml").map(ROOT::resolve);
    }

    @ParameterizedTest
    @MethodSource("composeFiles")
    void edgesGetTheSecretsAndTheAdminApi(Path file) throws IOException {
        List<JsonNode> edges = services(file, "edge");
        assertThat(edges).as("edges in %s", file).isNotEmpty();
        for (JsonNode edge : edges) {
            JsonNode env = edge.get("environment");
            assertThat(env.has("PLATFORM_SECRET") || env.has("PROXY_SHARED_SECRET")).as("shared secret").isTrue();
            assertThat(env.has("PROXY_ADMIN_TOKEN")).as("admin token").isTrue();
            assertThat(env.get("KAFKA_BOOTSTRAP_SERVERS").asText()).isEqualTo("kafka:9092");
            assertThat(env.get("METERING_ADMIN_URL").asText()).startsWith("http://");
            assertWaitsOnHealth(edge);
        }
    }

    @ParameterizedTest
    @MethodSource("composeFiles")
    void consumersGetTheDatabaseAndTheToken(Path file) throws IOException {
        List<JsonNode> consumers = services(file, "consumer");
        assertThat(consumers).isNotEmpty();
        for (JsonNode consumer : consumers) {
            JsonNode env = consumer.get("environment");
            assertThat(env.get("PROXY_DATABASE_URL").asText()).startsWith("postgresql://").contains("@postgres:5432/");
            assertThat(env.has("PROXY_ADMIN_TOKEN")).isTrue();
            assertWaitsOnHealth(consumer);
        }
    }

    @ParameterizedTest
    @MethodSource("composeFiles")
    void everyServiceHasAHealthCheckOrWaitsOnOne(Path file) throws IOException {
        JsonNode services = YAML.readTree(file.toFile()).get("services");
        for (Map.Entry<String, JsonNode> s : (Iterable<Map.Entry<String, JsonNode>>) services::fields) {
            assertThat(s.getValue().has("healthcheck") || s.getValue().has("depends_on")).as(s.getKey()).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("composeFiles")
    void noSqliteLeftoversAndNoProxyDataVolume(Path file) throws IOException {
        String text = Files.readString(file);
        assertThat(text.toLowerCase()).doesNotContain("sqlite").doesNotContain(".db\"").doesNotContain("proxy-data");
        for (JsonNode s : services(file, "edge")) {
            assertThat(s.has("volumes")).as("edge volumes").isFalse();
        }
    }

    @org.junit.jupiter.api.Test
    void thePlatformCallsTheSummaryWithTheAdminToken() throws IOException {
        JsonNode platform = YAML.readTree(ROOT.resolve("distro/docker-compose.platform.yml").toFile())
                .get("services").get("platform").get("environment");
        assertThat(platform.get("PROXY_USAGE_SUMMARY_URL").asText()).endsWith("/usage/summary");
        // The same variable the edges check, so the platform's bearer token passes.
        assertThat(platform.get("PROXY_ADMIN_TOKEN").asText()).isEqualTo("${PROXY_ADMIN_TOKEN:?set PROXY_ADMIN_TOKEN}");
        for (JsonNode edge : services(ROOT.resolve("distro/docker-compose.platform.yml"), "edge")) {
            assertThat(edge.get("environment").get("PROXY_ADMIN_TOKEN").asText())
                    .isEqualTo(platform.get("PROXY_ADMIN_TOKEN").asText());
            assertThat(edge.get("environment").get("PLATFORM_SECRET").asText())
                    .isEqualTo(platform.get("PLATFORM_SECRET").asText());
        }
    }

    private static void assertWaitsOnHealth(JsonNode service) {
        assertThat(service.has("healthcheck")).isTrue();
        JsonNode deps = service.get("depends_on");
        assertThat(deps).isNotNull();
        for (JsonNode dep : (Iterable<JsonNode>) deps::elements) {
            assertThat(dep.get("condition").asText()).isEqualTo("service_healthy");
        }
    }

    private static List<JsonNode> services(Path file, String commandName) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        JsonNode services = YAML.readTree(file.toFile()).get("services");
        for (JsonNode s : (Iterable<JsonNode>) services::elements) {
            JsonNode cmd = s.get("command");
            if (cmd != null && cmd.isArray() && cmd.get(0).asText().equals(commandName)) {
                out.add(s);
            }
        }
        return out;
    }
}
