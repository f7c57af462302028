package dev.metering.distro;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.Callable;

import com.zaxxer.hikari.HikariDataSource;

import dev.metering.consumer.db.Database;
import dev.metering.consumer.db.LedgerWriter;
import dev.metering.consumer.db.Migrations;
import dev.metering.consumer.replay.Replay;
import dev.metering.model.config.Env;
import dev.metering.model.config.MeteringConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Rebuilds ledger and rollups from the usage-events topic, idempotently. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Rebuild the ledger and rollups from the usage-events topic. Idempotent: events already "
                + "in the ledger are skipped, so running it twice changes nothing.")
final class ReplayCommand implements Callable<Integer> {
    @Option(names = "--since", paramLabel = "<yyyy-mm-dd>",
            description = "replay events from this UTC date on (default: from the beginning of the topic)")
    LocalDate since;

    @Override
    public Integer call() throws Exception {
        MeteringConfig config = MeteringConfig.fromEnv(Env.system());
        try (HikariDataSource pool = Database.pool(config.requireDatabase(), "replay", 2)) {
            Migrations.apply(pool);
            Replay.Report r = Replay.run(config.kafkaBootstrapServers(), config.usageTopic(),
                    new LedgerWriter(pool, Duration.ZERO),
                    Optional.ofNullable(since).map(d -> d.atStartOfDay(ZoneOffset.UTC).toInstant()), 5000);
            System.out.println("replayed " + r.read() + " events: " + r.inserted() + " inserted, " + r.duplicates()
                    + " already counted, " + r.invalid() + " invalid");
        }
        return 0;
    }
}
