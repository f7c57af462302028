package dev.metering.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** A database of a test's own, on a real PostgreSQL server. */
public record TestDatabase(String name, String jdbcUrl, String user, String password) {

    /** The same database as a libpq-style URL with credentials, as deployments configure it. */
    public String libpqUrl() {
        String hostAndDb = jdbcUrl.substring("jdbc:postgresql://".length());
        String credentials = password.isEmpty() ? user : user + ":" + password;
        return "postgresql://" + credentials + "@" + hostAndDb;
    }

    /** Opens a plain JDBC connection; the caller closes it. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl, user, password);
    }
}
