package dev.metering.distro;

import java.util.concurrent.Callable;

import com.zaxxer.hikari.HikariDataSource;

import dev.metering.consumer.db.Database;
import dev.metering.consumer.db.Migrations;
import dev.metering.model.config.Env;
import dev.metering.model.config.MeteringConfig;
import picocli.CommandLine.Command;

/** Applies the migrations and exits. */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Apply the database migrations (PROXY_DATABASE_URL, else PLATFORM_DATABASE_URL, else POSTGRES_URL) and exit.")
final class MigrateCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        MeteringConfig config = MeteringConfig.fromEnv(Env.system());
        try (HikariDataSource pool = Database.pool(config.requireDatabase(), "migrate", 2)) {
            var result = Migrations.apply(pool);
            System.out.println("migrations applied: " + result.migrationsExecuted + " (schema version "
                    + (result.targetSchemaVersion == null ? "unchanged" : result.targetSchemaVersion) + ")");
        }
        return 0;
    }
}
