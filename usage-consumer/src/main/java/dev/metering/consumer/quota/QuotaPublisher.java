package dev.metering.consumer.quota;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.metering.consumer.ingest.BatchListener;
import dev.metering.model.quota.QuotaState;
import dev.metering.model.quota.QuotaStateCodec;

/**
 * Publishes users' quota state to the compacted {@code quota-state} topic: after each committed
 * batch (the users it touched, with their partitions' new watermarks), when a quota changes
 * (before the admin call returns, so the change reaches edges at once), and for every user with
 * a quota at each UTC midnight. A heartbeat every second tells edges the state is being kept
 * fresh when nobody spends.
 */
public final class QuotaPublisher implements BatchListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QuotaPublisher.class);
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);

    private final Jdbi jdbi;
    private final Producer<String, byte[]> producer;
    private final String quotaTopic;
    private final String usageTopic;
    private final String groupId;
    private final Clock clock;
    private final String heartbeatKey;
    private final ScheduledExecutorService timer;

    public QuotaPublisher(Jdbi jdbi, Producer<String, byte[]> producer, String quotaTopic, String usageTopic,
            String groupId, String consumerId, Clock clock) {
        this.jdbi = jdbi;
        this.producer = producer;
        this.quotaTopic = quotaTopic;
        this.usageTopic = usageTopic;
        this.groupId = groupId;
        this.clock = clock;
        this.heartbeatKey = QuotaStateCodec.HEARTBEAT_KEY_PREFIX + consumerId;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "quota-publisher");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts heartbeats and the midnight republishing. Heartbeats are sent only while
     * {@code ingesting} says the batch loop works, so that edges notice when it does not.
     */
    public void start(java.util.function.BooleanSupplier ingesting) {
        timer.scheduleAtFixedRate(() -> {
            if (ingesting.getAsBoolean()) {
                heartbeat();
            }
        }, 0, HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
        scheduleRollover();
    }

    /**
     * Reading a state and sending it happen under one lock, so that the record sent last for a
     * user is also the one read last: compaction keeps the newest limits and spend.
     */
    @Override
    public synchronized void committed(Map<String, Watermark> users) {
        if (users.isEmpty()) {
            return;
        }
        try {
            List<QuotaState> states = jdbi.withHandle(h -> QuotaStates.read(h, users.keySet(), clock,
                    u -> users.get(u).partition(), u -> users.get(u).nextOffset()));
            states.forEach(s -> send(s));
        } catch (RuntimeException e) {
            log.warn("quota state of {} users not published ({}); edges keep counting their own spend",
                    users.size(), e.toString());
        }
    }

    /**
     * Publishes {@code userId}'s state after a quota change and waits for Kafka to store it.
     *
     * @throws IllegalStateException when Kafka does not acknowledge in time
     */
    public void quotaChanged(String userId) {
        java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> sent;
        synchronized (this) {
            sent = publishQuota(userId);
        }
        try {
            sent.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted publishing the quota of " + userId, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("quota of " + userId + " stored but not yet published: " + e, e);
        }
    }

    private java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> publishQuota(String userId) {
        int partitions = producer.partitionsFor(usageTopic).size();
        int partition = partitionOf(userId, partitions);
        QuotaState state = jdbi.inTransaction(org.jdbi.v3.core.transaction.TransactionIsolationLevel.REPEATABLE_READ,
                h -> {
                    long watermark = h.createQuery("SELECT next_offset FROM consumer_offsets "
                            + "WHERE group_id = :g AND topic = :t AND partition = :p")
                            .bind("g", groupId).bind("t", usageTopic).bind("p", partition)
                            .mapTo(Long.class).findOne().orElse(0L);
                    return QuotaStates.read(h, List.of(userId), clock, u -> partition, u -> watermark).get(0);
                });
        return send(state);
    }

    /** The partition Kafka's default partitioner gives a record keyed by {@code userId}. */
    static int partitionOf(String userId, int partitions) {
        return Utils.toPositive(Utils.murmur2(userId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    private java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> send(QuotaState s) {
        return producer.send(new ProducerRecord<>(quotaTopic, s.userId(), QuotaStateCodec.encode(s)), (m, e) -> {
            if (e != null) {
                log.warn("quota state of {} not published: {}", s.userId(), e.toString());
            }
        });
    }

    private void heartbeat() {
        try {
            producer.send(new ProducerRecord<>(quotaTopic, heartbeatKey, QuotaStateCodec.heartbeat(clock.instant())));
        } catch (RuntimeException e) {
            log.debug("heartbeat not sent: {}", e.toString());
        }
    }

    private void scheduleRollover() {
        LocalDate tomorrow = LocalDate.now(clock.withZone(ZoneOffset.UTC)).plusDays(1);
        long delay = Math.max(0, tomorrow.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli() - clock.millis());
        timer.schedule(() -> {
            rollover();
            scheduleRollover();
        }, delay + 50, TimeUnit.MILLISECONDS);
    }

    /** A new UTC day (and maybe month): every user with a quota gets a fresh state. */
    synchronized void rollover() {
        try {
            int partitions = producer.partitionsFor(usageTopic).size();
            // Offsets and spend from one snapshot, so each watermark matches the spend beside it.
            List<QuotaState> states = jdbi.inTransaction(
                    org.jdbi.v3.core.transaction.TransactionIsolationLevel.REPEATABLE_READ, h -> {
                        Map<Integer, Long> offsets = new HashMap<>();
                        h.createQuery("SELECT partition, next_offset FROM consumer_offsets WHERE group_id = :g AND topic = :t")
                                .bind("g", groupId).bind("t", usageTopic)
                                .map((rs, ctx) -> offsets.put(rs.getInt(1), rs.getLong(2))).list();
                        List<String> users = h.createQuery("SELECT user_id FROM user_quotas WHERE enabled")
                                .mapTo(String.class).list();
                        return QuotaStates.read(h, users, clock, u -> partitionOf(u, partitions),
                                u -> offsets.getOrDefault(partitionOf(u, partitions), 0L));
                    });
            states.forEach(this::send);
            log.info("published the quota state of {} users for the new UTC day", states.size());
        } catch (RuntimeException e) {
            log.warn("rollover quota states not published ({}); edges roll over on their own clocks", e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
