package dev.metering.distro;

import java.util.concurrent.Callable;

import dev.metering.consumer.UsageConsumer;
import dev.metering.consumer.config.ConsumerConfig;
import dev.metering.model.config.Env;
import picocli.CommandLine.Command;

/** Runs one usage-consumer against external Kafka and PostgreSQL. */
@Command(name = "consumer", mixinStandardHelpOptions = true,
        description = "Run a usage-consumer against external Kafka and PostgreSQL; applies migrations at start.")
final class ConsumerCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        ConsumerConfig config = ConsumerConfig.fromEnv(Env.system());
        Running running = new Running();
        running.add(UsageConsumer.start(config, Registries.prometheus(running)));
        running.untilStopped();
        return 0;
    }
}
