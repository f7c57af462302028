package dev.metering.distro;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.metering.consumer.UsageConsumer;
import dev.metering.consumer.config.ConsumerConfig;
import dev.metering.edge.Edge;
import dev.metering.edge.config.EdgeConfig;
import dev.metering.infra.Directories;
import dev.metering.infra.EmbeddedKafka;
import dev.metering.infra.EmbeddedPostgres;
import dev.metering.model.config.Env;
import dev.metering.model.config.MeteringConfig;
import dev.metering.model.key.ProxyKeys;
import dev.metering.simulator.AnthropicSimulator;
import dev.metering.simulator.SimulatorOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole pipeline in one process on embedded defaults: a real Kafka broker and PostgreSQL
 * keeping their data under {@code --data-dir}, the consumer, one edge, and (without
 * {@code ANTHROPIC_API_URL}) the simulated Anthropic API, so it works offline.
 */
@Command(name = "dev", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline in one process: embedded Kafka and PostgreSQL, the consumer, one edge, "
                + "and a simulated Anthropic API unless ANTHROPIC_API_URL is set. Ctrl-C stops everything.")
final class DevCommand implements Callable<Integer> {
    static final String DATABASE = "metering";

    @Option(names = "--data-dir", defaultValue = ".metering", paramLabel = "<dir>",
            description = "where Kafka, PostgreSQL, the spool and generated secrets live (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--fresh", description = "wipe the data directory first")
    boolean fresh;

    @Option(names = "--infra-only",
            description = "start only Kafka and PostgreSQL, and print their addresses for separate edge and consumer processes")
    boolean infraOnly;

    @Option(names = "--kafka-port", defaultValue = "9092", paramLabel = "<port>",
            description = "the embedded broker's port (default: ${DEFAULT-VALUE})")
    int kafkaPort;

    @Option(names = "--postgres-port", defaultValue = "5433", paramLabel = "<port>",
            description = "the embedded PostgreSQL's port (default: ${DEFAULT-VALUE}, beside a local 5432)")
    int postgresPort;

    @Override
    public Integer call() throws Exception {
        Path data = dataDir.toAbsolutePath().normalize();
        Env system = Env.system();
        MeteringConfig.fromEnv(system); // a bad variable stops us before anything starts
        if (fresh) {
            EmbeddedPostgres.stopStaleServer(data.resolve("postgres"));
            Directories.deleteRecursively(data);
        }
        Files.createDirectories(data);
        Running running = new Running();
        try {
            EmbeddedPostgres pg = running.add(EmbeddedPostgres.start(data.resolve("postgres"), postgresPort, false, false,
                    EmbeddedPostgres.DURABLE));
            pg.createDatabase(DATABASE);
            EmbeddedKafka kafka = running.add(EmbeddedKafka.start(data.resolve("kafka"), kafkaPort, false));
            String databaseUrl = "postgresql://" + EmbeddedPostgres.SUPERUSER + "@127.0.0.1:" + pg.port() + "/" + DATABASE;
            if (infraOnly) {
                printInfra(System.out, kafka.bootstrapServers(), databaseUrl);
            } else {
                startPipeline(running, data, system, kafka.bootstrapServers(), databaseUrl);
            }
        } catch (Exception e) {
            running.closeAll();
            throw e;
        }
        running.untilStopped();
        return 0;
    }

    private void startPipeline(Running running, Path data, Env system, String bootstrap, String databaseUrl)
            throws Exception {
        Map<String, String> overrides = new HashMap<>(DevSecrets.resolve(data, system));
        overrides.put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        overrides.put("PROXY_DATABASE_URL", databaseUrl);
        overrides.put("METERING_ADMIN_PORT", "0");
        overrides.put("PROXY_SPOOL_DIR", data.resolve("spool").toString());
        if (system.get("METERING_TOPIC_PARTITIONS").isEmpty()) {
            overrides.put("METERING_TOPIC_PARTITIONS", "3");
        }
        if (system.get("PROXY_EDGE_ID").isEmpty()) {
            overrides.put("PROXY_EDGE_ID", "dev-edge");
        }
        Optional<URI> simulated = Optional.empty();
        if (system.get("ANTHROPIC_API_URL").isEmpty()) {
            AnthropicSimulator sim = running.add(AnthropicSimulator.start(SimulatorOptions.defaults()));
            simulated = Optional.of(sim.baseUrl());
            overrides.put("ANTHROPIC_API_URL", sim.baseUrl().toString());
            if (system.get("ANTHROPIC_API_KEY").isEmpty()) {
                overrides.put("ANTHROPIC_API_KEY", "sk-ant-dev-simulator");
            }
        }
        Env env = name -> overrides.containsKey(name) ? overrides.get(name) : system.raw(name);
        UsageConsumer consumer = running.add(UsageConsumer.start(ConsumerConfig.fromEnv(env),
                Registries.prometheus(running)));
        overrides.put("METERING_ADMIN_URL", "http://127.0.0.1:" + consumer.adminPort());
        EdgeConfig edgeConfig = EdgeConfig.fromEnv(env, Optional.empty());
        Edge edge = running.add(Edge.start(edgeConfig, Registries.prometheus(running)));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!edge.quota().ready() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        String key = new ProxyKeys(edgeConfig.common().sharedSecret().orElseThrow().reveal()).issue("demo");
        new DevBanner(edge.port(), edgeConfig.common(), bootstrap, databaseUrl, data, simulated, key).print(System.out);
    }

    private static void printInfra(PrintStream out, String bootstrap, String databaseUrl) {
        out.println("KAFKA_BOOTSTRAP_SERVERS=" + bootstrap);
        out.println("PROXY_DATABASE_URL=" + databaseUrl);
        out.println("# Kafka and PostgreSQL are running; start `metering.jar consumer` and `metering.jar edge` with these.");
        out.println("# Ctrl-C stops them.");
        out.flush();
    }
}
