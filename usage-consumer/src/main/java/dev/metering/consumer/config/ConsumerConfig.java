package dev.metering.consumer.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.metering.model.config.ConfigException;
import dev.metering.model.config.DatabaseUrl;
import dev.metering.model.config.Env;
import dev.metering.model.config.MeteringConfig;
import dev.metering.model.kafka.Topics;

/**
 * What a usage-consumer needs: the shared configuration (database required) plus its group,
 * batch bounds and admin port, read from the environment and validated at start.
 *
 * @param common the shared settings
 * @param database where the ledger and rollups live
 * @param groupId Kafka consumer group ({@code METERING_CONSUMER_GROUP}, default {@code usage-consumer})
 * @param threads batch loops in this process ({@code METERING_CONSUMER_THREADS}, 2): each is a
 *     member of the group with its own share of the partitions and its own transactions, so one
 *     loop decodes while another waits on PostgreSQL
 * @param maxBatch most events written in one transaction ({@code METERING_BATCH_MAX}, 5000)
 * @param maxBatchWait longest a poll waits to fill a batch ({@code METERING_BATCH_WAIT_MS}, 100 ms)
 * @param adminPort the admin API's port ({@code METERING_ADMIN_PORT}, 8081; 0 picks a free one)
 * @param dlqTopic where invalid events go ({@code usage-events.dlq} beside the usage topic)
 * @param layout partitions ({@code METERING_TOPIC_PARTITIONS}, 12), replication factor
 *     ({@code METERING_TOPIC_REPLICATION}, broker default) and usage retention
 *     ({@code METERING_USAGE_RETENTION_MS}, -1 = unlimited) of the topics it creates
 * @param commitDelay fault injection for tests only ({@code METERING_TEST_COMMIT_DELAY_MS}): a
 *     pause inside each batch transaction, before its commit; zero in production
 */
public record ConsumerConfig(
        MeteringConfig common,
        DatabaseUrl database,
        String groupId,
        int threads,
        int maxBatch,
        Duration maxBatchWait,
        int adminPort,
        String dlqTopic,
        Topics.Layout layout,
        Duration commitDelay) {

    public static ConsumerConfig fromEnv(Env env) {
        MeteringConfig common = MeteringConfig.fromEnv(env);
        String group = env.get("METERING_CONSUMER_GROUP").orElse("usage-consumer");
        if (!group.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new ConfigException("METERING_CONSUMER_GROUP", "\"" + group + "\"", "1-200 letters, digits, '.', '_' or '-'");
        }
        return new ConsumerConfig(common, common.requireDatabase(), group,
                (int) env.integer("METERING_CONSUMER_THREADS", 2, 1, 64),
                (int) env.integer("METERING_BATCH_MAX", 5000, 1, 100_000),
                Duration.ofMillis(env.integer("METERING_BATCH_WAIT_MS", 100, 1, 60_000)),
                MeteringConfig.port(env, "METERING_ADMIN_PORT", 8081),
                common.usageTopic() + ".dlq",
                layout(env),
                Duration.ofMillis(env.integer("METERING_TEST_COMMIT_DELAY_MS", 0, 0, 600_000)));
    }

    static Topics.Layout layout(Env env) {
        int partitions = (int) env.integer("METERING_TOPIC_PARTITIONS", 12, 1, 10_000);
        long rf = env.integer("METERING_TOPIC_REPLICATION", -1, -1, 32);
        if (rf == 0) {
            throw new ConfigException("METERING_TOPIC_REPLICATION", "\"0\"", "1-32, or -1 for the broker's default");
        }
        long retention = env.integer("METERING_USAGE_RETENTION_MS", -1, -1, Long.MAX_VALUE);
        if (retention == 0) {
            throw new ConfigException("METERING_USAGE_RETENTION_MS", "\"0\"", "-1 (unlimited) or a positive number of ms");
        }
        return new Topics.Layout(partitions, rf < 0 ? Optional.empty() : Optional.of((short) rf), retention);
    }

    /** The configuration as lines for the start-up log, secrets masked. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>(common.describe());
        lines.add("METERING_CONSUMER_GROUP=" + groupId + ", METERING_CONSUMER_THREADS=" + threads);
        lines.add("METERING_BATCH_MAX=" + maxBatch + ", METERING_BATCH_WAIT_MS=" + maxBatchWait.toMillis());
        lines.add("METERING_ADMIN_PORT=" + adminPort);
        lines.add("topics: " + layout.partitions() + " partitions, replication "
                + layout.replicationFactor().map(String::valueOf).orElse("(broker default)") + ", usage retention "
                + (layout.usageRetentionMs() < 0 ? "unlimited" : layout.usageRetentionMs() + " ms"));
        if (!commitDelay.isZero()) {
            lines.add("METERING_TEST_COMMIT_DELAY_MS=" + commitDelay.toMillis() + " (fault injection: not for production)");
        }
        return lines;
    }
}
