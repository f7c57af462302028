package dev.metering.edge.http;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import dev.metering.edge.admin.AdminRoute;
import dev.metering.edge.instances.InstanceRoutes;
import dev.metering.edge.proxy.ProxyRoute;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/** What the router serves besides the proxy itself: health, metrics, and the shared counters. */
final class EdgeRoutes {
    private final ProxyRoute proxy;
    private final AdminRoute admin;
    private final InstanceRoutes instances;
    private final InFlightCalls inFlight;
    private final PrometheusMeterRegistry registry;
    private final Supplier<String> healthJson;
    private final BooleanSupplier draining;
    private final BooleanSupplier ready;

    EdgeRoutes(ProxyRoute proxy, AdminRoute admin, InstanceRoutes instances, InFlightCalls inFlight, PrometheusMeterRegistry registry,
            Supplier<String> healthJson, BooleanSupplier ready, BooleanSupplier draining) {
        this.proxy = proxy;
        this.admin = admin;
        this.instances = instances;
        this.inFlight = inFlight;
        this.registry = registry;
        this.healthJson = healthJson;
        this.draining = draining;
        this.ready = ready;
    }

    ProxyRoute proxy() {
        return proxy;
    }

    InstanceRoutes instances() {
        return instances;
    }

    AdminRoute admin() {
        return admin;
    }

    InFlightCalls inFlight() {
        return inFlight;
    }

    boolean draining() {
        return draining.getAsBoolean();
    }

    FullHttpResponse health(ByteBufAllocator alloc) {
        return ErrorResponses.json(alloc, HttpResponseStatus.OK, healthJson.get());
    }

    /** 200 once quota state is loaded and the edge is not draining; 503 before and after. */
    FullHttpResponse ready(ByteBufAllocator alloc) {
        boolean ok = ready.getAsBoolean() && !draining.getAsBoolean();
        return ErrorResponses.json(alloc, ok ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                "{\"ready\":" + ok + "}");
    }

    FullHttpResponse metrics(ByteBufAllocator alloc) {
        return ErrorResponses.text(alloc, HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
                registry.scrape());
    }
}
