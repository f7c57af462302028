package dev.metering.edge.config;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.metering.edge.spool.SpoolOptions;
import dev.metering.model.config.ConfigException;
import dev.metering.model.config.Env;
import dev.metering.model.config.MeteringConfig;
import dev.metering.model.event.UsageEvent;
import dev.metering.quota.FailMode;

/**
 * Everything an edge needs: the shared configuration plus the edge's own limits and timeouts,
 * read from the environment and validated at start.
 *
 * @param common the shared settings (port, upstream, secrets, Kafka, topics)
 * @param upstream the upstream base URL actually used
 * @param edgeId names this edge in events ({@code PROXY_EDGE_ID}, default host name and port)
 * @param spool the local write-ahead spool ({@code PROXY_SPOOL_DIR}, {@code PROXY_SPOOL_MAX_BYTES})
 * @param maxBodyBytes request body limit, 413 beyond ({@code PROXY_MAX_BODY_BYTES}, 32 MiB)
 * @param maxHeaderBytes request header limit, 431 beyond ({@code PROXY_MAX_HEADER_BYTES}, 64 KiB)
 * @param connectTimeout upstream connect timeout, 502 beyond ({@code PROXY_UPSTREAM_CONNECT_TIMEOUT_MS})
 * @param responseTimeout longest wait for upstream response headers, and between two chunks of
 *     a response, 504 beyond ({@code PROXY_UPSTREAM_RESPONSE_TIMEOUT_MS}, 10 minutes)
 * @param clientIdleTimeout how long a client connection may sit idle between requests, or take
 *     to send one ({@code PROXY_CLIENT_IDLE_TIMEOUT_MS}, 60 s)
 * @param drainTimeout how long shutdown waits for calls in flight ({@code PROXY_DRAIN_TIMEOUT_MS}, 30 s)
 * @param quotaStaleAfter how old quota state may be before the fail mode applies
 *     ({@code PROXY_QUOTA_STALE_AFTER_MS}, 30 s)
 * @param quotaFailMode {@code open} (admit, counted) or {@code closed} (503) past that bound
 *     ({@code PROXY_QUOTA_FAIL_MODE}, open)
 * @param relayTimeout how long {@code POST /send/{handle}} waits for the gateway
 *     ({@code PROXY_RELAY_TIMEOUT_MS}, 10 s), 504 beyond
 * @param adminApi where the admin paths are answered, the consumer's admin API
 *     ({@code METERING_ADMIN_URL}); empty means the edge answers them 503
 */
public record EdgeConfig(
        MeteringConfig common,
        URI upstream,
        String edgeId,
        SpoolOptions spool,
        int maxBodyBytes,
        int maxHeaderBytes,
        Duration connectTimeout,
        Duration responseTimeout,
        Duration clientIdleTimeout,
        Duration drainTimeout,
        Duration quotaStaleAfter,
        FailMode quotaFailMode,
        Duration relayTimeout,
        Optional<URI> adminApi) {

    /**
     * Reads the edge's configuration.
     *
     * @param upstreamOverride the upstream to use when {@code ANTHROPIC_API_URL} is unset (the
     *     simulator in {@code dev}); empty means the Anthropic API
     * @throws ConfigException for the first bad value, naming its variable
     */
    public static EdgeConfig fromEnv(Env env, Optional<URI> upstreamOverride) {
        MeteringConfig common = MeteringConfig.fromEnv(env);
        URI upstream = common.anthropicApiUrl().or(() -> upstreamOverride).orElse(MeteringConfig.DEFAULT_ANTHROPIC_API_URL);
        String edgeId = env.get("PROXY_EDGE_ID").orElseGet(() -> defaultEdgeId(common.proxyPort()));
        if (!UsageEvent.EDGE_ID.matcher(edgeId).matches()) {
            throw new ConfigException("PROXY_EDGE_ID", "\"" + edgeId + "\"", "1-128 letters, digits, '.', '_', ':' or '-'");
        }
        Path spoolDir = Path.of(env.get("PROXY_SPOOL_DIR").orElse("spool"));
        long spoolMax = env.integer("PROXY_SPOOL_MAX_BYTES", 1024L * 1024 * 1024, 1024L * 1024, Long.MAX_VALUE);
        SpoolOptions spool = new SpoolOptions(spoolDir, spoolMax, Math.min(64L * 1024 * 1024, spoolMax),
                Duration.ofMillis(env.integer("PROXY_SPOOL_FSYNC_MS", 100, 1, 60_000)));
        return new EdgeConfig(common, upstream, edgeId, spool,
                (int) env.integer("PROXY_MAX_BODY_BYTES", 32L * 1024 * 1024, 1024, Integer.MAX_VALUE - 1),
                (int) env.integer("PROXY_MAX_HEADER_BYTES", 64 * 1024, 1024, 1024 * 1024),
                Duration.ofMillis(env.integer("PROXY_UPSTREAM_CONNECT_TIMEOUT_MS", 10_000, 1, 600_000)),
                Duration.ofMillis(env.integer("PROXY_UPSTREAM_RESPONSE_TIMEOUT_MS", 600_000, 1, 3_600_000)),
                Duration.ofMillis(env.integer("PROXY_CLIENT_IDLE_TIMEOUT_MS", 60_000, 100, 3_600_000)),
                Duration.ofMillis(env.integer("PROXY_DRAIN_TIMEOUT_MS", 30_000, 0, 3_600_000)),
                Duration.ofMillis(env.integer("PROXY_QUOTA_STALE_AFTER_MS", 30_000, 100, 86_400_000)),
                failMode(env),
                Duration.ofMillis(env.integer("PROXY_RELAY_TIMEOUT_MS", 10_000, 100, 600_000)),
                env.get("METERING_ADMIN_URL").map(v -> adminUrl(v)));
    }

    private static FailMode failMode(Env env) {
        String v = env.get("PROXY_QUOTA_FAIL_MODE").orElse("open").trim().toLowerCase(java.util.Locale.ROOT);
        return switch (v) {
            case "open" -> FailMode.OPEN;
            case "closed" -> FailMode.CLOSED;
            default -> throw new ConfigException("PROXY_QUOTA_FAIL_MODE", "\"" + v + "\"", "open or closed");
        };
    }

    private static URI adminUrl(String value) {
        try {
            URI u = new URI(value.trim());
            if ("http".equals(u.getScheme()) && u.getHost() != null && u.getRawQuery() == null) {
                return u;
            }
        } catch (java.net.URISyntaxException e) {
            // reported below
        }
        throw new ConfigException("METERING_ADMIN_URL", "\"" + value + "\"", "the consumer's admin API, such as http://consumer:8081");
    }

    private static String defaultEdgeId(int port) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "edge";
        }
        String id = host.replaceAll("[^A-Za-z0-9._-]", "-") + "-" + port;
        return id.length() > 128 ? id.substring(0, 128) : id;
    }

    /** The configuration as lines for the start-up log, secrets masked. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>(common.describe());
        lines.add("upstream=" + upstream);
        lines.add("PROXY_EDGE_ID=" + edgeId);
        lines.add("PROXY_SPOOL_DIR=" + spool.dir().toAbsolutePath() + " (max " + spool.maxBytes() + " bytes)");
        lines.add("PROXY_MAX_BODY_BYTES=" + maxBodyBytes + ", PROXY_MAX_HEADER_BYTES=" + maxHeaderBytes);
        lines.add("quota: stale after " + quotaStaleAfter.toMillis() + " ms, then fail " + quotaFailMode.name().toLowerCase(java.util.Locale.ROOT));
        lines.add("METERING_ADMIN_URL=" + adminApi.map(URI::toString).orElse("(unset: admin paths answer 503)"));
        lines.add("timeouts: connect " + connectTimeout.toMillis() + " ms, response " + responseTimeout.toMillis()
                + " ms, client idle " + clientIdleTimeout.toMillis() + " ms, drain " + drainTimeout.toMillis() + " ms");
        return lines;
    }
}
