package dev.metering.testkit;

/**
 * One way of providing a real Kafka broker and a real PostgreSQL server to tests. Each backend is
 * started once per test JVM and shared; tests isolate themselves by topic and database names.
 */
interface InfraBackend {
    /** A short name shown in test reports, such as {@code embedded}. */
    String name();

    /** Whether the backend can run on this machine; when not, its tests are skipped. */
    boolean available();

    String kafkaBootstrapServers();

    /** Creates an empty database and returns how to reach it. */
    TestDatabase createDatabase(String name);

    void dropDatabase(String name);
}
