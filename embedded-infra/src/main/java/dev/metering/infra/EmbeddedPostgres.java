package dev.metering.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server run from the binaries packaged on the classpath (zonky). It works as
 * root because the binaries run inside a user namespace.
 *
 * <p>The server process is not a child of this JVM: {@link #close()} (or the shutdown hook) stops
 * it. A persistent data directory keeps its databases across restarts.
 */
public final class EmbeddedPostgres implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgres.class);
    private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    public static final String SUPERUSER = "postgres";

    private final io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;

    private EmbeddedPostgres(io.zonky.test.db.postgres.embedded.EmbeddedPostgres server) {
        this.server = server;
    }

    /**
     * Starts a server.
     *
     * @param dataDir the cluster directory; initialised when empty
     * @param port the port on localhost, or 0 for a free one
     * @param deleteOnClose whether {@link #close()} removes {@code dataDir}
     */
    public static EmbeddedPostgres start(Path dataDir, int port, boolean deleteOnClose) {
        return start(dataDir, port, deleteOnClose, true);
    }

    /**
     * Starts a server; with {@code shutdownHook} false the caller must {@link #close()} it, which
     * lets an application stop it last, after everything that uses it.
     */
    public static EmbeddedPostgres start(Path dataDir, int port, boolean deleteOnClose, boolean shutdownHook) {
        return start(dataDir, port, deleteOnClose, shutdownHook, java.util.Map.of());
    }

    /**
     * Durable settings, as a production server has them: zonky's defaults trade crash safety
     * for test speed. {@code dev} keeps real data with these, and benchmarks compare on them.
     */
    public static final java.util.Map<String, String> DURABLE = java.util.Map.of(
            "fsync", "on", "synchronous_commit", "on", "full_page_writes", "on");

    /** As {@link #start(Path, int, boolean, boolean)}, with extra server settings. */
    public static EmbeddedPostgres start(Path dataDir, int port, boolean deleteOnClose, boolean shutdownHook,
            java.util.Map<String, String> serverConfig) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
        }
        stopStaleServer(dataDir);
        try {
            var builder = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(deleteOnClose)
                    .setRegisterShutdownHook(shutdownHook)
                    .setPort(port == 0 ? FreePorts.pick() : port)
                    .setServerConfig("max_connections", "300");
            serverConfig.forEach(builder::setServerConfig);
            var server = builder.start();
            log.info("PostgreSQL up on port {} (data {})", server.getPort(), dataDir);
            return new EmbeddedPostgres(server);
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL did not start in " + dataDir, e);
        }
    }

    /**
     * The server is not a child of the JVM, so a JVM killed with SIGKILL leaves it running on the
     * data directory. Stop that server (its PID is the first line of {@code postmaster.pid}) before
     * starting a new one on the same data.
     */
    public static void stopStaleServer(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!java.nio.file.Files.exists(pidFile)) {
            return;
        }
        try {
            long pid = Long.parseLong(java.nio.file.Files.readAllLines(pidFile).get(0).trim());
            ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> h.info().command().map(c -> c.endsWith("postgres")).orElse(false)) // not a reused PID
                    .ifPresent(stale -> {
                log.warn("PostgreSQL (pid {}) from an earlier run still holds {}; stopping it", pid, dataDir);
                fastShutdown(stale);
                try {
                    stale.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception e) {
                    stale.destroyForcibly();
                }
            });
        } catch (IOException | RuntimeException e) {
            log.warn("could not read {} ({}); starting anyway", pidFile, e.toString());
        }
    }

    /** SIGINT is PostgreSQL's fast shutdown; the JDK can only send SIGTERM (a smart, slower one). */
    private static void fastShutdown(ProcessHandle postmaster) {
        try {
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(postmaster.pid())).start();
            if (kill.waitFor(5, java.util.concurrent.TimeUnit.SECONDS) && kill.exitValue() == 0) {
                return;
            }
        } catch (IOException e) {
            // no kill command: fall back below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        postmaster.destroy();
    }

    public int port() {
        return server.getPort();
    }

    /** A JDBC URL for {@code database} as the superuser {@value #SUPERUSER} (no password). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + port() + "/" + database;
    }

    /** Creates {@code database} unless it exists. */
    public void createDatabase(String database) {
        if (!DATABASE_NAME.matcher(database).matches()) {
            throw new IllegalArgumentException("database: " + database + " (expected: " + DATABASE_NAME + ")");
        }
        try (Connection c = server.getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            var rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database + "'");
            if (!rs.next()) {
                s.execute("CREATE DATABASE " + database);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + database, e);
        }
    }

    /** Drops {@code database}, closing its remaining connections. */
    public void dropDatabase(String database) {
        if (!DATABASE_NAME.matcher(database).matches()) {
            throw new IllegalArgumentException("database: " + database + " (expected: " + DATABASE_NAME + ")");
        }
        try (Connection c = server.getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop database " + database, e);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
            log.info("PostgreSQL on port {} stopped", port());
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL did not stop cleanly", e);
        }
    }
}
