package dev.metering.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Kafka and PostgreSQL in Docker containers through Testcontainers. Available only where a Docker
 * engine answers; elsewhere its test variants are skipped. Ryuk removes the containers.
 */
final class ContainerBackend implements InfraBackend {
    static final ContainerBackend INSTANCE = new ContainerBackend();
    private static final String KAFKA_IMAGE = "apache/kafka:4.1.1";
    private static final String POSTGRES_IMAGE = "postgres:17-alpine";

    private Boolean available;
    private KafkaContainer kafka;
    private PostgreSQLContainer postgres;

    private ContainerBackend() {
    }

    @Override
    public String name() {
        return "testcontainers";
    }

    @Override
    public synchronized boolean available() {
        if (available == null) {
            available = DockerClientFactory.instance().isDockerAvailable();
        }
        return available;
    }

    @Override
    public synchronized String kafkaBootstrapServers() {
        if (kafka == null) {
            kafka = new KafkaContainer(KAFKA_IMAGE);
            kafka.start();
        }
        return kafka.getBootstrapServers();
    }

    private synchronized PostgreSQLContainer postgres() {
        if (postgres == null) {
            postgres = new PostgreSQLContainer(POSTGRES_IMAGE);
            postgres.start();
        }
        return postgres;
    }

    @Override
    public TestDatabase createDatabase(String name) {
        PostgreSQLContainer pg = postgres();
        execute(pg, "CREATE DATABASE " + name);
        String url = "jdbc:postgresql://" + pg.getHost() + ":" + pg.getMappedPort(5432) + "/" + name;
        return new TestDatabase(name, url, pg.getUsername(), pg.getPassword());
    }

    @Override
    public void dropDatabase(String name) {
        execute(postgres(), "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    private static void execute(PostgreSQLContainer pg, String sql) {
        try (Connection c = DriverManager.getConnection(pg.getJdbcUrl(), pg.getUsername(), pg.getPassword());
                Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL container refused: " + sql, e);
        }
    }
}
