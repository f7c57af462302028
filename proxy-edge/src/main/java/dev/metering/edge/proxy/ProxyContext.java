package dev.metering.edge.proxy;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import dev.metering.edge.metrics.EdgeMetrics;
import dev.metering.edge.upstream.UpstreamClient;

/** What every call of an edge shares. */
public record ProxyContext(UpstreamClient upstream, CallOutcomeRecorder recorder, EdgeMetrics metrics,
        Duration responseTimeout, BooleanSupplier drainingFlag, dev.metering.quota.QuotaCache quota) {

    boolean draining() {
        return drainingFlag.getAsBoolean();
    }
}
