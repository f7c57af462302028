package dev.metering.edge.it;

import java.util.Optional;
import java.util.concurrent.CountDownLatch;

import dev.metering.edge.Edge;
import dev.metering.edge.config.EdgeConfig;
import dev.metering.model.config.Env;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** Runs an edge as its own process, for tests that kill it. Prints {@code EDGE READY <port>}. */
public final class EdgeProcessMain {
    private EdgeProcessMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Edge edge = Edge.start(EdgeConfig.fromEnv(Env.system(), Optional.empty()),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            edge.close();
            stopped.countDown();
        }));
        System.out.println("EDGE READY " + edge.port());
        System.out.flush();
        stopped.await();
    }
}
