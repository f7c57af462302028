package dev.metering.consumer.db;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import dev.metering.model.config.DatabaseUrl;
import dev.metering.model.config.Secret;

/** The connection pool, built from a {@link DatabaseUrl} without ever appending to it. */
public final class Database {
    private Database() {
    }

    public static HikariDataSource pool(DatabaseUrl url, String name, int size) {
        HikariConfig c = new HikariConfig();
        c.setPoolName(name);
        c.setJdbcUrl(url.jdbcUrl());
        url.user().ifPresent(c::setUsername);
        url.password().map(Secret::reveal).ifPresent(c::setPassword);
        c.setMaximumPoolSize(size);
        c.setMinimumIdle(1);
        c.setConnectionTimeout(5_000);
        c.setValidationTimeout(2_000);
        // Start even when the database is down: the consumer waits and retries instead.
        c.setInitializationFailTimeout(-1);
        // UTC days and months everywhere, whatever the JVM's zone.
        c.setConnectionInitSql("SET TIME ZONE 'UTC'");
        return new HikariDataSource(c);
    }

    /** Applies migrations through a pool. */
    public static void migrate(DataSource ds) {
        Migrations.apply(ds);
    }
}
