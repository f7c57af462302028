package dev.metering.model.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The topics the project creates (SPEC §7): {@code usage-events} (retention unlimited by
 * default, so {@code replay} can rebuild from it), the compacted {@code quota-state} and the
 * dead-letter topic. Partition count and replication factor are configurable; an empty
 * replication factor takes the broker's default.
 */
public final class Topics {
    private Topics() {
    }

    /** How to lay out the topics. */
    public record Layout(int partitions, Optional<Short> replicationFactor, long usageRetentionMs) {
        public static final Layout DEFAULT = new Layout(12, Optional.empty(), -1);
    }

    public static NewTopic usageEvents(String name, Layout layout) {
        return topic(name, layout, Map.of("retention.ms", Long.toString(layout.usageRetentionMs())));
    }

    public static NewTopic quotaState(String name, Layout layout) {
        return topic(name, layout, Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0",
                "segment.ms", Long.toString(TimeUnit.HOURS.toMillis(1))));
    }

    /** The instance registry: compacted, keyed by handle; small, so one partition. */
    public static NewTopic instances(String name, Layout layout) {
        return new NewTopic(name, Optional.of(1), layout.replicationFactor())
                .configs(Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0"));
    }

    public static NewTopic deadLetters(String name, Layout layout) {
        return topic(name, layout, Map.of());
    }

    private static NewTopic topic(String name, Layout layout, Map<String, String> configs) {
        return new NewTopic(name, Optional.of(layout.partitions()), layout.replicationFactor()).configs(configs);
    }

    /**
     * Creates whichever of {@code topics} do not exist yet.
     *
     * @throws IllegalStateException when Kafka does not answer within {@code timeout}
     */
    public static void ensure(String bootstrapServers, List<NewTopic> topics, Duration timeout) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 30_000));
        try (Admin admin = Admin.create(p)) {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (NewTopic t : topics) {
                if (!existing.contains(t.name())) {
                    missing.add(t);
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            for (var e : admin.createTopics(missing).values().entrySet()) {
                try {
                    e.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("topic " + e.getKey() + " could not be created: "
                                + ex.getCause().getMessage(), ex.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Kafka at " + bootstrapServers + " did not answer within " + timeout.toMillis()
                    + " ms while listing topics", e);
        }
    }
}
