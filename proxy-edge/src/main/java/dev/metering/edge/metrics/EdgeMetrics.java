package dev.metering.edge.metrics;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.metering.model.money.Micros;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The edge's metrics. The first three keep the names of the proxy this replaces, because
 * dashboards and alerts use them: {@code proxy_api_calls_total{user_id,model,status}},
 * {@code proxy_api_cost_usd_total{user_id,model}}, {@code proxy_quota_rejections_total{user_id}}.
 */
public final class EdgeMetrics {
    private static final Logger log = LoggerFactory.getLogger(EdgeMetrics.class);
    private static final String STAGE_DESCRIPTION = "The edge's own time per call, by stage: before_upstream, from "
            + "the request read to its first write upstream; spooling, from the upstream's last byte until the call's "
            + "event is priced and spooled; final_write, writing the held-back last byte";

    private final MeterRegistry registry;
    private final Timer overhead;
    private final Timer beforeUpstream;
    private final Timer spooling;
    private final Timer finalWrite;
    private final Counter spoolFull;
    private final Set<String> unpricedSeen = ConcurrentHashMap.newKeySet();
    private final LabelLimiter users = new LabelLimiter(20_000);
    private final LabelLimiter models = new LabelLimiter(200);
    /**
     * The counters of each (user, model, status) met so far, so a call increments them without
     * building and looking up meters again; as bounded as the labels themselves.
     */
    private final ConcurrentHashMap<CallKey, CallMeters> callMeters = new ConcurrentHashMap<>();

    private record CallKey(String userId, String model, int status) {
    }

    private record CallMeters(Counter calls, Counter cost) {
    }

    public EdgeMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.overhead = edgeTimer("proxy_edge_overhead", "Time spent in the edge itself per call, upstream time excluded")
                .register(registry);
        this.beforeUpstream = stageTimer("before_upstream");
        this.spooling = stageTimer("spooling");
        this.finalWrite = stageTimer("final_write");
        this.spoolFull = Counter.builder("proxy_spool_full_rejections")
                .description("Calls refused with 503 because the usage spool was full").register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** One proxied call, with its cost. */
    public void call(String userId, String model, int status, long costMicros) {
        CallMeters m = callMeters.computeIfAbsent(new CallKey(users.label(userId), models.label(model), status),
                this::register);
        m.calls().increment();
        if (costMicros > 0) {
            m.cost().increment(Micros.toUsd(costMicros).doubleValue());
        }
    }

    private CallMeters register(CallKey k) {
        return new CallMeters(
                Counter.builder("proxy_api_calls").description("Proxied API calls")
                        .tag("user_id", k.userId()).tag("model", k.model()).tag("status", Integer.toString(k.status()))
                        .register(registry),
                Counter.builder("proxy_api_cost_usd").description("Cost of proxied API calls in USD")
                        .tag("user_id", k.userId()).tag("model", k.model())
                        .register(registry));
    }

    /** A call to a model with no price: counted, and logged once per model. */
    public void unpriced(String model) {
        String label = models.label(model);
        Counter.builder("proxy_unpriced_calls").description("Calls to models with no price, metered at 0")
                .tag("model", label).register(registry).increment();
        if (unpricedSeen.size() < 1000 && unpricedSeen.add(model)) {
            log.warn("model {} has no price in the price table; its calls are metered at 0 and counted in "
                    + "proxy_unpriced_calls_total", model);
        }
    }

    public void quotaRejection(String userId) {
        Counter.builder("proxy_quota_rejections").description("Calls refused with 429 over quota")
                .tag("user_id", users.label(userId)).register(registry).increment();
    }

    /**
     * Quota-state age (seconds) and decisions taken on stale state. Micrometer holds the measured
     * object weakly, so it is the cache itself (which lives as long as the edge), not a lambda
     * that nothing else would keep alive.
     */
    public void quotaGauges(dev.metering.quota.QuotaCache cache) {
        io.micrometer.core.instrument.Gauge.builder("proxy_quota_state_age_seconds", cache,
                c -> c.age().toMillis() / 1000.0)
                .description("Time since quota state was last heard from the quota-state topic").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("proxy_quota_stale_decisions", cache,
                c -> (double) c.staleDecisions()).description("Admission decisions taken on stale (or loading) quota state")
                .register(registry);
    }

    public void authFailure() {
        Counter.builder("proxy_auth_failures").description("Calls refused with 401").register(registry).increment();
    }

    public void spoolFull() {
        spoolFull.increment();
    }

    /**
     * A completed call's own time in the edge: before its request went upstream; from the
     * upstream's last byte until its event was priced and spooled; and
     * writing the held-back last byte to the client.
     */
    public void overhead(long beforeUpstreamNanos, long spoolingNanos, long finalWriteNanos) {
        overhead.record(Duration.ofNanos(beforeUpstreamNanos + spoolingNanos + finalWriteNanos));
        beforeUpstream.record(Duration.ofNanos(beforeUpstreamNanos));
        spooling.record(Duration.ofNanos(spoolingNanos));
        finalWrite.record(Duration.ofNanos(finalWriteNanos));
    }

    private Timer stageTimer(String stage) {
        return edgeTimer("proxy_edge_stage", STAGE_DESCRIPTION).tag("stage", stage).register(registry);
    }

    private static Timer.Builder edgeTimer(String name, String description) {
        return Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(5));
    }
}
