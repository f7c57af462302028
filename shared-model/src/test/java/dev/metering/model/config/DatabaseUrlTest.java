package dev.metering.model.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DatabaseUrlTest {

    @Test
    void readsTheLibpqFormWithCredentials() {
        DatabaseUrl db = DatabaseUrl.parse("PROXY_DATABASE_URL", "postgresql://metering:s3cret@db.internal:5433/usage");
        assertThat(db.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5433/usage");
        assertThat(db.user()).contains("metering");
        assertThat(db.password().orElseThrow().reveal()).isEqualTo("s3cret");
    }

    @Test
    void decodesPercentEncodedCredentialsAndKeepsPlusLiteral() {
        DatabaseUrl db = DatabaseUrl.parse("PROXY_DATABASE_URL", "postgres://us%40er:p%3Aa+ss%2F@db/usage");
        assertThat(db.user()).contains("us@er");
        assertThat(db.password().orElseThrow().reveal()).isEqualTo("p:a+ss/");
        assertThat(db.jdbcUrl()).isEqualTo("jdbc:postgresql://db/usage");
    }

    @Test
    void readsTheJdbcFormWithCredentialsInParameters() {
        String url = "jdbc:postgresql://db:5432/usage?user=metering&password=s3cret";
        DatabaseUrl db = DatabaseUrl.parse("PROXY_DATABASE_URL", url);
        assertThat(db.jdbcUrl()).isEqualTo(url);
        assertThat(db.user()).isEmpty();
        assertThat(db.password()).isEmpty();
        assertThat(db.toString()).isEqualTo("jdbc:postgresql://db:5432/usage?user=metering&password=<masked>");
    }

    @Test
    void postgresUrlIsUsedExactlyAsGivenNeverAppendedTo() {
        String jdbc = "jdbc:postgresql://db:5432/platform?sslmode=disable&currentSchema=usage";
        assertThat(DatabaseUrl.parse("POSTGRES_URL", jdbc).jdbcUrl()).isEqualTo(jdbc);

        // The libpq form only loses its credentials to the driver's properties: host, port,
        // database and every parameter stay byte for byte, and nothing is added.
        DatabaseUrl libpq = DatabaseUrl.parse("POSTGRES_URL",
                "postgresql://u:p@db:5432/platform?sslmode=require&application_name=platform");
        assertThat(libpq.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/platform?sslmode=require&application_name=platform");

        DatabaseUrl noDatabase = DatabaseUrl.parse("POSTGRES_URL", "postgresql://u@db");
        assertThat(noDatabase.jdbcUrl()).isEqualTo("jdbc:postgresql://db");
    }

    @Test
    void keepsSeveralHostsAndIpv6Literals() {
        assertThat(DatabaseUrl.parse("X", "postgresql://u:p@h1:5432,h2:5433/db?target_session_attrs=read-write")
                .jdbcUrl()).isEqualTo("jdbc:postgresql://h1:5432,h2:5433/db?target_session_attrs=read-write");
        assertThat(DatabaseUrl.parse("X", "postgresql://u:p@[::1]:5432/db").jdbcUrl())
                .isEqualTo("jdbc:postgresql://[::1]:5432/db");
    }

    @Test
    void refusesOtherSchemesAndMissingHostsWithoutShowingThePassword() {
        assertThatThrownBy(() -> DatabaseUrl.parse("PROXY_DATABASE_URL", "sqlite:///data/proxy.db"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("PROXY_DATABASE_URL: sqlite:///data/proxy.db (expected: a PostgreSQL URL");
        assertThatThrownBy(() -> DatabaseUrl.parse("PROXY_DATABASE_URL", "postgresql://u:hunter2@/db"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("host is missing")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void masksPasswordsInEitherPlace() {
        assertThat(DatabaseUrl.masked("postgresql://u:hunter2@db/x")).isEqualTo("postgresql://u:<masked>@db/x");
        assertThat(DatabaseUrl.masked("jdbc:postgresql://db/x?PASSWORD=hunter2&ssl=true"))
                .isEqualTo("jdbc:postgresql://db/x?PASSWORD=<masked>&ssl=true");
        DatabaseUrl db = DatabaseUrl.parse("X", "postgresql://u:hunter2@db/x");
        assertThat(db.toString()).doesNotContain("hunter2").endsWith("password=<masked>");
    }
}
