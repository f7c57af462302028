package dev.metering.edge;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.metering.edge.admin.AdminRoute;
import dev.metering.edge.auth.CallerAuth;
import dev.metering.edge.config.EdgeConfig;
import dev.metering.edge.events.EventMetrics;
import dev.metering.edge.events.EventShipper;
import dev.metering.edge.events.UsageEmitter;
import dev.metering.edge.http.EdgeServer;
import dev.metering.edge.metrics.EdgeMetrics;
import dev.metering.edge.proxy.CallOutcomeRecorder;
import dev.metering.edge.proxy.ProxyContext;
import dev.metering.edge.proxy.ProxyRoute;
import dev.metering.edge.proxy.QuotaGate;
import dev.metering.edge.instances.InstanceRegistry;
import dev.metering.edge.instances.InstanceRoutes;
import dev.metering.model.kafka.CompactedTopicFollower;
import dev.metering.quota.QuotaCache;
import dev.metering.quota.QuotaStateFollower;
import dev.metering.edge.spool.Spool;
import dev.metering.edge.upstream.UpstreamClient;
import dev.metering.model.key.AdminToken;
import dev.metering.model.money.PriceTable;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * A running edge: the HTTP server, the upstream client, the spool and the shipper that takes it
 * to Kafka. This is where the edge's parts are wired. {@link #close()} shuts down in order: stop
 * accepting, let calls in flight finish (streams too) up to the drain timeout, deliver the spool,
 * close.
 */
public final class Edge implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Edge.class);
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_UPSTREAM_CONNECTIONS_PER_LOOP = 2048;

    private final EdgeConfig config;
    private final Spool spool;
    private final Producer<String, byte[]> producer;
    private final EventShipper shipper;
    private final UpstreamClient upstream;
    private final EdgeServer server;
    private final QuotaStateFollower quotaFollower;
    private final QuotaCache quota;
    private final CompactedTopicFollower instancesFollower;
    private boolean closed;

    private Edge(EdgeConfig config, Spool spool, Producer<String, byte[]> producer, EventShipper shipper,
            UpstreamClient upstream, EdgeServer server, QuotaStateFollower quotaFollower, QuotaCache quota,
            CompactedTopicFollower instancesFollower) {
        this.config = config;
        this.spool = spool;
        this.producer = producer;
        this.shipper = shipper;
        this.upstream = upstream;
        this.server = server;
        this.quotaFollower = quotaFollower;
        this.quota = quota;
        this.instancesFollower = instancesFollower;
    }

    /** Starts an edge; the registry is where its metrics go and what {@code /metrics} serves. */
    public static Edge start(EdgeConfig config, PrometheusMeterRegistry registry) {
        return start(config, registry, Clock.systemUTC());
    }

    /** Starts an edge whose quota decisions use {@code clock} for the UTC day and month. */
    public static Edge start(EdgeConfig config, PrometheusMeterRegistry registry, Clock clock) {
        config.describe().forEach(line -> log.info("edge config: {}", line));
        Spool spool = Spool.open(config.spool());
        Producer<String, byte[]> producer = new KafkaProducer<>(producerProperties(config));
        EventMetrics eventMetrics = new EventMetrics(registry, spool::pendingBytes);
        EventShipper shipper = new EventShipper(spool, producer, config.common().usageTopic(), eventMetrics,
                Duration.ofSeconds(30));
        QuotaCache quota = new QuotaCache(clock, config.quotaStaleAfter(), config.quotaFailMode());
        shipper.onDelivered((event, partition, offset) -> quota.delivered(event.userId(), event.eventId(), partition, offset));
        shipper.start();
        QuotaStateFollower follower = new QuotaStateFollower(quota, config.common().kafkaBootstrapServers(),
                config.common().quotaTopic());
        follower.start();
        EdgeMetrics metrics = new EdgeMetrics(registry);
        metrics.quotaGauges(quota);
        UsageEmitter emitter = new UsageEmitter(spool, eventMetrics);
        PriceTable prices = PriceTable.bundled();
        CallOutcomeRecorder recorder = new CallOutcomeRecorder(emitter, prices, metrics, config.edgeId(), quota);
        UpstreamClient upstream = new UpstreamClient(config.upstream(), config.connectTimeout(),
                MAX_UPSTREAM_CONNECTIONS_PER_LOOP);
        CallerAuth auth = new CallerAuth(config.common().sharedSecret(), config.common().anthropicApiKey());
        EdgeServer.Draining draining = new EdgeServer.Draining();
        ProxyContext context = new ProxyContext(upstream, recorder, metrics, config.responseTimeout(), draining::get,
                quota);
        AdminToken adminToken = new AdminToken(config.common().adminToken());
        AdminRoute admin = new AdminRoute(adminToken, config.adminApi());
        InstanceRegistry instances = new InstanceRegistry();
        CompactedTopicFollower instancesFollower = new CompactedTopicFollower(config.common().kafkaBootstrapServers(),
                config.common().instancesTopic(), instances);
        instancesFollower.start();
        InstanceRoutes instanceRoutes = new InstanceRoutes(adminToken, instances, producer,
                config.common().instancesTopic(), config.relayTimeout(), clock);
        EdgeServer server = EdgeServer.start(config, new ProxyRoute(context, auth, new QuotaGate(quota, prices)), admin,
                instanceRoutes, registry, draining, () -> health(shipper, spool, quota, draining.get()), quota::ready);
        log.info("edge {} listening on port {}, upstream {}", config.edgeId(), server.port(), config.upstream());
        return new Edge(config, spool, producer, shipper, upstream, server, follower, quota, instancesFollower);
    }

    private static String health(EventShipper shipper, Spool spool, QuotaCache quota, boolean draining) {
        return "{\"status\":\"ok\",\"kafka\":\"" + (shipper.kafkaHealthy() ? "up" : "down")
                + "\",\"quota\":\"" + (!quota.ready() ? "loading" : quota.stale() ? "stale" : "fresh")
                + "\",\"quotaStateAgeMs\":" + (quota.ready() ? quota.age().toMillis() : -1)
                + ",\"spoolPendingBytes\":" + spool.pendingBytes() + ",\"draining\":" + draining + "}";
    }

    /** The quota cache, for tests that watch it. */
    public QuotaCache quota() {
        return quota;
    }

    private static Properties producerProperties(EdgeConfig config) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.common().kafkaBootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "edge-" + config.edgeId());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 25_000);
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    public int port() {
        return server.port();
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port());
    }

    public EdgeConfig config() {
        return config;
    }

    /** Bytes spooled and not yet acknowledged by Kafka. */
    public long pendingSpoolBytes() {
        return spool.pendingBytes();
    }

    /** Graceful shutdown, in order; safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long t0 = System.nanoTime();
        server.stopAccepting();
        log.info("shutdown 1/4: stopped accepting new connections");
        int left = server.drain(config.drainTimeout());
        log.info("shutdown 2/4: calls in flight finished{}", left > 0 ? " except " + left + ", cut off at the drain timeout" : "");
        boolean delivered = shipper.drain(FLUSH_TIMEOUT);
        log.info("shutdown 3/4: usage events {}", delivered ? "all delivered to Kafka"
                : "not all delivered; " + spool.pendingBytes() + " bytes stay in the spool for the next start");
        shipper.close();
        quotaFollower.close();
        instancesFollower.close();
        producer.close(Duration.ofSeconds(5));
        spool.close();
        upstream.close();
        server.close();
        log.info("shutdown 4/4: closed in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /** Where the edge listens. */
    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port());
    }
}
