package dev.metering.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.metering.infra.EmbeddedKafka;
import dev.metering.infra.EmbeddedPostgres;

/**
 * The in-process KRaft broker and zonky's embedded PostgreSQL, started on first use and stopped
 * (data removed) when the test JVM exits. Needs no Docker.
 */
final class EmbeddedBackend implements InfraBackend {
    static final EmbeddedBackend INSTANCE = new EmbeddedBackend();

    private EmbeddedKafka kafka;
    private EmbeddedPostgres postgres;

    private EmbeddedBackend() {
    }

    @Override
    public String name() {
        return "embedded";
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public synchronized String kafkaBootstrapServers() {
        if (kafka == null) {
            kafka = EmbeddedKafka.start(tempDir("metering-test-kafka"), 0, true);
            Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "test-kafka-stop"));
        }
        return kafka.bootstrapServers();
    }

    private synchronized EmbeddedPostgres postgres() {
        if (postgres == null) {
            postgres = EmbeddedPostgres.start(tempDir("metering-test-pg"), 0, true);
            // zonky registers its own shutdown hook, which stops the server and removes the data.
        }
        return postgres;
    }

    @Override
    public TestDatabase createDatabase(String name) {
        EmbeddedPostgres pg = postgres();
        pg.createDatabase(name);
        return new TestDatabase(name, pg.jdbcUrl(name), EmbeddedPostgres.SUPERUSER, "");
    }

    @Override
    public void dropDatabase(String name) {
        postgres().dropDatabase(name);
    }

    private static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException("no temporary directory for " + prefix, e);
        }
    }
}
