package dev.metering.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * What one test gets: the shared broker and PostgreSQL server of a backend, plus topics and
 * databases of its own. Databases it created are dropped when the test ends.
 */
public final class TestInfra implements AutoCloseable {
    private final InfraBackend backend;
    private final List<String> databases = new ArrayList<>();

    TestInfra(InfraBackend backend) {
        this.backend = backend;
    }

    /** The in-process broker and embedded PostgreSQL, for tests that set up in {@code @BeforeAll}. */
    public static TestInfra embedded() {
        return new TestInfra(EmbeddedBackend.INSTANCE);
    }

    /** {@code embedded} or {@code testcontainers}. */
    public String backendName() {
        return backend.name();
    }

    public String kafkaBootstrapServers() {
        return backend.kafkaBootstrapServers();
    }

    /** A topic name no other test uses, such as {@code usage-events-3f2a9c1e}. */
    public static String uniqueName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Creates a topic with a unique name and returns the name. */
    public String createTopic(String prefix, int partitions, Map<String, String> configs) {
        String topic = uniqueName(prefix);
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafkaBootstrapServers());
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not create topic " + topic, e);
        }
        return topic;
    }

    /** A new empty database of this test's own, dropped when the test ends. */
    public TestDatabase newDatabase() {
        String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        TestDatabase db = backend.createDatabase(name);
        synchronized (databases) {
            databases.add(name);
        }
        return db;
    }

    @Override
    public void close() {
        synchronized (databases) {
            databases.forEach(backend::dropDatabase);
            databases.clear();
        }
    }

    @Override
    public String toString() {
        return backend.name();
    }
}
