package dev.metering.model.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;

import org.junit.jupiter.api.Test;

class MeteringConfigTest {

    private static MeteringConfig config(Map<String, String> env) {
        return MeteringConfig.fromEnv(Env.of(env));
    }

    @Test
    void usesTheDefaultsOfTheSpecWhenNothingIsSet() {
        MeteringConfig c = config(Map.of());
        assertThat(c.proxyPort()).isEqualTo(8080);
        assertThat(c.anthropicApiUrl()).isEmpty();
        assertThat(c.anthropicApiUrlOrDefault()).isEqualTo(URI.create("https://api.anthropic.com"));
        assertThat(c.anthropicApiKey()).isEmpty();
        assertThat(c.adminToken()).isEmpty();
        assertThat(c.sharedSecret()).isEmpty();
        assertThat(c.database()).isEmpty();
        assertThat(c.kafkaBootstrapServers()).isEqualTo("localhost:9092");
        assertThat(c.usageTopic()).isEqualTo("usage-events");
        assertThat(c.quotaTopic()).isEqualTo("quota-state");
    }

    @Test
    void adminTokenFallsBackFromProxyAdminTokenToProxyAuthTokenToPlatformSecret() {
        assertThat(config(Map.of("PLATFORM_SECRET", "p")).adminToken().orElseThrow().reveal()).isEqualTo("p");
        assertThat(config(Map.of("PLATFORM_SECRET", "p", "PROXY_AUTH_TOKEN", "a")).adminToken().orElseThrow()
                .variable()).isEqualTo("PROXY_AUTH_TOKEN");
        assertThat(config(Map.of("PLATFORM_SECRET", "p", "PROXY_AUTH_TOKEN", "a", "PROXY_ADMIN_TOKEN", "t"))
                .adminToken().orElseThrow().reveal()).isEqualTo("t");
    }

    @Test
    void sharedSecretFallsBackToPlatformSecret() {
        assertThat(config(Map.of("PLATFORM_SECRET", "p")).sharedSecret().orElseThrow().reveal()).isEqualTo("p");
        Secret s = config(Map.of("PLATFORM_SECRET", "p", "PROXY_SHARED_SECRET", "s")).sharedSecret().orElseThrow();
        assertThat(s.reveal()).isEqualTo("s");
        assertThat(s.variable()).isEqualTo("PROXY_SHARED_SECRET");
    }

    @Test
    void databaseFallsBackFromProxyToPlatformToPostgresUrl() {
        String a = "jdbc:postgresql://a:5432/x";
        String b = "jdbc:postgresql://b:5432/x";
        String c = "jdbc:postgresql://c:5432/x";
        assertThat(config(Map.of("POSTGRES_URL", c)).requireDatabase().jdbcUrl()).isEqualTo(c);
        assertThat(config(Map.of("POSTGRES_URL", c, "PLATFORM_DATABASE_URL", b)).requireDatabase().jdbcUrl())
                .isEqualTo(b);
        assertThat(config(Map.of("POSTGRES_URL", c, "PLATFORM_DATABASE_URL", b, "PROXY_DATABASE_URL", a))
                .requireDatabase().variable()).isEqualTo("PROXY_DATABASE_URL");
    }

    @Test
    void aBlankVariableCountsAsUnsetSoTheFallbackApplies() {
        MeteringConfig c = config(Map.of("PROXY_ADMIN_TOKEN", "", "PLATFORM_SECRET", "p", "PROXY_PORT", " "));
        assertThat(c.adminToken().orElseThrow().variable()).isEqualTo("PLATFORM_SECRET");
        assertThat(c.proxyPort()).isEqualTo(8080);
    }

    @Test
    void aMissingDatabaseIsAnErrorNamingTheVariables() {
        assertThatThrownBy(() -> config(Map.of()).requireDatabase())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PROXY_DATABASE_URL / PLATFORM_DATABASE_URL / POSTGRES_URL");
    }

    @Test
    void aBadValueStopsStartWithTheVariableAndWhatWasExpected() {
        assertThatThrownBy(() -> config(Map.of("PROXY_PORT", "80x")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("PROXY_PORT: \"80x\" (expected: a port number 0-65535)")
                .extracting(e -> ((ConfigException) e).variable()).isEqualTo("PROXY_PORT");
        assertThatThrownBy(() -> config(Map.of("PROXY_PORT", "70000")))
                .hasMessageStartingWith("PROXY_PORT: \"70000\"");
        assertThatThrownBy(() -> config(Map.of("ANTHROPIC_API_URL", "ftp://example.com")))
                .hasMessageStartingWith("ANTHROPIC_API_URL: \"ftp://example.com\" (expected: an http or https base URL");
        assertThatThrownBy(() -> config(Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka")))
                .hasMessageStartingWith("KAFKA_BOOTSTRAP_SERVERS: \"kafka\" (expected: a comma-separated list of host:port");
        assertThatThrownBy(() -> config(Map.of("METERING_USAGE_TOPIC", "usage events")))
                .hasMessageStartingWith("METERING_USAGE_TOPIC: \"usage events\" (expected: a Kafka topic name");
        assertThatThrownBy(() -> config(Map.of("POSTGRES_URL", "mysql://u:hunter2@h/db")))
                .hasMessageStartingWith("POSTGRES_URL: mysql://u:<masked>@h/db (expected: a PostgreSQL URL");
    }

    @Test
    void aBadSecretIsNamedButNeverShown() {
        assertThatThrownBy(() -> config(Map.of("PROXY_ADMIN_TOKEN", "tok\r\nen")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("PROXY_ADMIN_TOKEN: <masked> (expected:")
                .hasMessageNotContaining("tok");
    }

    @Test
    void acceptsSeveralBootstrapServersAndIpv6() {
        assertThat(config(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k1:9092, k2:9093,[::1]:9094")).kafkaBootstrapServers())
                .isEqualTo("k1:9092, k2:9093,[::1]:9094");
    }

    @Test
    void describeMasksEverySecretIncludingPasswordsInsideUrls() {
        MeteringConfig c = config(Map.of(
                "ANTHROPIC_API_KEY", "sk-ant-api03-verysecret",
                "PLATFORM_SECRET", "platform-secret-value",
                "PROXY_DATABASE_URL", "postgresql://app:db-password-1@db:5432/metering?sslmode=require",
                "POSTGRES_URL", "jdbc:postgresql://db/x?user=u&password=db-password-2"));
        String printed = String.join("\n", c.describe()) + c;
        assertThat(printed)
                .doesNotContain("verysecret", "platform-secret-value", "db-password-1")
                .contains("ANTHROPIC_API_KEY=<masked> (from ANTHROPIC_API_KEY)")
                .contains("admin token=<masked> (from PLATFORM_SECRET)")
                .contains("shared secret=<masked> (from PLATFORM_SECRET)")
                .contains("database=jdbc:postgresql://db:5432/metering?sslmode=require user=app password=<masked>"
                        + " (from PROXY_DATABASE_URL)");
        MeteringConfig viaJdbc = config(Map.of("POSTGRES_URL", "jdbc:postgresql://db/x?user=u&password=db-password-2"));
        assertThat(String.join("\n", viaJdbc.describe()) + viaJdbc).doesNotContain("db-password-2")
                .contains("jdbc:postgresql://db/x?user=u&password=<masked>");
    }
}
