package dev.metering.consumer.it;

import java.util.concurrent.CountDownLatch;

import dev.metering.consumer.UsageConsumer;
import dev.metering.consumer.config.ConsumerConfig;
import dev.metering.model.config.Env;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** Runs a usage-consumer as its own process, for tests that kill it. Prints {@code CONSUMER READY}. */
public final class ConsumerProcessMain {
    private ConsumerProcessMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        UsageConsumer consumer = UsageConsumer.start(ConsumerConfig.fromEnv(Env.system()),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            consumer.close();
            stopped.countDown();
        }));
        System.out.println("CONSUMER READY " + consumer.adminPort());
        System.out.flush();
        stopped.await();
    }
}
