package dev.metering.consumer.db;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the schema with Flyway from {@code db/migration}. Each migration runs in one
 * transaction; a statement PostgreSQL cannot run in a transaction fails the migration instead of
 * being run outside one.
 */
public final class Migrations {
    private Migrations() {
    }

    public static MigrateResult apply(DataSource dataSource) {
        return Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .mixed(false)
                .validateMigrationNaming(true)
                .failOnMissingLocations(true)
                .load()
                .migrate();
    }
}
