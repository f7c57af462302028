package dev.metering.quota;

import dev.metering.model.kafka.CompactedTopicFollower;
import dev.metering.model.quota.QuotaStateCodec;

/**
 * Follows the compacted {@code quota-state} topic into a {@link QuotaCache}: states, tombstones
 * and consumer heartbeats; the cache is ready once the topic has been read to its end at start.
 */
public final class QuotaStateFollower implements AutoCloseable {
    private final CompactedTopicFollower follower;

    public QuotaStateFollower(QuotaCache cache, String bootstrapServers, String topic) {
        this.follower = new CompactedTopicFollower(bootstrapServers, topic, new CompactedTopicFollower.Handler() {
            @Override
            public void record(String key, byte[] value) {
                if (QuotaStateCodec.isHeartbeat(key)) {
                    cache.heartbeat();
                } else if (value == null) {
                    cache.remove(key);
                } else {
                    cache.apply(QuotaStateCodec.decode(value));
                }
            }

            @Override
            public void caughtUp() {
                cache.markReady();
            }
        });
    }

    public void start() {
        follower.start();
    }

    @Override
    public void close() {
        follower.close();
    }
}
