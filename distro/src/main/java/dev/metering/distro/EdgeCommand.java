package dev.metering.distro;

import java.util.Optional;
import java.util.concurrent.Callable;

import dev.metering.edge.Edge;
import dev.metering.edge.config.EdgeConfig;
import dev.metering.model.config.Env;
import picocli.CommandLine.Command;

/** Runs one proxy-edge against external Kafka. */
@Command(name = "edge", mixinStandardHelpOptions = true,
        description = "Run a proxy-edge against external Kafka (configuration from the environment, see README).")
final class EdgeCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        EdgeConfig config = EdgeConfig.fromEnv(Env.system(), Optional.empty());
        Running running = new Running();
        running.add(Edge.start(config, Registries.prometheus(running)));
        running.untilStopped();
        return 0;
    }
}
