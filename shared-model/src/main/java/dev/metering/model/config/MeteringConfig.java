package dev.metering.model.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The configuration every command reads from the environment (SPEC §4), resolved with its
 * fallbacks and validated once at start. A bad value stops the program with a
 * {@link ConfigException} naming the variable; nothing is silently replaced by a default.
 *
 * @param proxyPort edge listen port ({@code PROXY_PORT}); 0 picks a free port
 * @param anthropicApiUrl upstream base URL ({@code ANTHROPIC_API_URL}); empty means the default,
 *     or the simulator in {@code dev}
 * @param anthropicApiKey shared upstream key ({@code ANTHROPIC_API_KEY})
 * @param adminToken admin bearer token ({@code PROXY_ADMIN_TOKEN}, else {@code PROXY_AUTH_TOKEN},
 *     else {@code PLATFORM_SECRET}); empty means every admin call is refused
 * @param sharedSecret HMAC secret of {@code sk-proxy-} keys ({@code PROXY_SHARED_SECRET}, else
 *     {@code PLATFORM_SECRET})
 * @param database PostgreSQL ({@code PROXY_DATABASE_URL}, else {@code PLATFORM_DATABASE_URL}, else
 *     {@code POSTGRES_URL})
 * @param kafkaBootstrapServers {@code KAFKA_BOOTSTRAP_SERVERS}
 * @param usageTopic {@code METERING_USAGE_TOPIC}
 * @param quotaTopic {@code METERING_QUOTA_TOPIC}
 * @param instancesTopic {@code METERING_INSTANCES_TOPIC}, the instance registry
 */
public record MeteringConfig(
        int proxyPort,
        Optional<URI> anthropicApiUrl,
        Optional<Secret> anthropicApiKey,
        Optional<Secret> adminToken,
        Optional<Secret> sharedSecret,
        Optional<DatabaseUrl> database,
        String kafkaBootstrapServers,
        String usageTopic,
        String quotaTopic,
        String instancesTopic) {

    public static final URI DEFAULT_ANTHROPIC_API_URL = URI.create("https://api.anthropic.com");
    public static final int DEFAULT_PROXY_PORT = 8080;
    public static final String DEFAULT_KAFKA_BOOTSTRAP_SERVERS = "localhost:9092";
    public static final String DEFAULT_USAGE_TOPIC = "usage-events";
    public static final String DEFAULT_QUOTA_TOPIC = "quota-state";
    public static final String DEFAULT_INSTANCES_TOPIC = "instances";

    static final String[] ADMIN_TOKEN_VARIABLES = {"PROXY_ADMIN_TOKEN", "PROXY_AUTH_TOKEN", "PLATFORM_SECRET"};
    static final String[] SHARED_SECRET_VARIABLES = {"PROXY_SHARED_SECRET", "PLATFORM_SECRET"};
    static final String[] DATABASE_VARIABLES = {"PROXY_DATABASE_URL", "PLATFORM_DATABASE_URL", "POSTGRES_URL"};

    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9._-]+):(\\d{1,5})");
    private static final int MAX_SECRET = 4096;

    /**
     * Reads and validates the configuration.
     *
     * @throws ConfigException for the first bad value, naming its variable
     */
    public static MeteringConfig fromEnv(Env env) {
        return new MeteringConfig(
                port(env, "PROXY_PORT", DEFAULT_PROXY_PORT),
                env.first("ANTHROPIC_API_URL").map(MeteringConfig::baseUrl),
                env.first("ANTHROPIC_API_KEY").map(MeteringConfig::secret),
                env.first(ADMIN_TOKEN_VARIABLES).map(MeteringConfig::secret),
                env.first(SHARED_SECRET_VARIABLES).map(MeteringConfig::secret),
                env.first(DATABASE_VARIABLES).map(s -> DatabaseUrl.parse(s.variable(), s.value())),
                bootstrapServers(env.first("KAFKA_BOOTSTRAP_SERVERS")
                        .orElse(new Env.Setting("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_KAFKA_BOOTSTRAP_SERVERS))),
                topic(env, "METERING_USAGE_TOPIC", DEFAULT_USAGE_TOPIC),
                topic(env, "METERING_QUOTA_TOPIC", DEFAULT_QUOTA_TOPIC),
                topic(env, "METERING_INSTANCES_TOPIC", DEFAULT_INSTANCES_TOPIC));
    }

    /** The upstream to use when none is configured explicitly. */
    public URI anthropicApiUrlOrDefault() {
        return anthropicApiUrl.orElse(DEFAULT_ANTHROPIC_API_URL);
    }

    /** The database, or a start-up error naming the variables that could provide it. */
    public DatabaseUrl requireDatabase() {
        return database.orElseThrow(() -> new ConfigException(String.join(" / ", DATABASE_VARIABLES), "unset",
                "a PostgreSQL URL in one of them"));
    }

    /** The configuration as {@code NAME=value} lines, secrets masked, for start-up logs. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("PROXY_PORT=" + proxyPort);
        lines.add("ANTHROPIC_API_URL=" + anthropicApiUrl.map(URI::toString).orElse("(default)"));
        lines.add("ANTHROPIC_API_KEY=" + secretLine(anthropicApiKey));
        lines.add("admin token=" + secretLine(adminToken));
        lines.add("shared secret=" + secretLine(sharedSecret));
        lines.add("database=" + database.map(d -> d + " (from " + d.variable() + ")").orElse("(unset)"));
        lines.add("KAFKA_BOOTSTRAP_SERVERS=" + kafkaBootstrapServers);
        lines.add("METERING_USAGE_TOPIC=" + usageTopic);
        lines.add("METERING_QUOTA_TOPIC=" + quotaTopic);
        lines.add("METERING_INSTANCES_TOPIC=" + instancesTopic);
        return lines;
    }

    private static String secretLine(Optional<Secret> s) {
        return s.map(v -> Secret.MASK + " (from " + v.variable() + ")").orElse("(unset)");
    }

    /** Reads an optional port variable; 0 means any free port. */
    public static int port(Env env, String variable, int fallback) {
        Optional<String> raw = env.get(variable);
        if (raw.isEmpty()) {
            return fallback;
        }
        try {
            int p = Integer.parseInt(raw.get().trim());
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(variable, ConfigException.quote(raw.get()), "a port number 0-65535");
    }

    private static URI baseUrl(Env.Setting s) {
        String expected = "an http or https base URL with a host and no query, such as https://api.anthropic.com";
        try {
            URI uri = new URI(s.value().trim());
            boolean ok = ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                    && uri.getHost() != null && uri.getRawUserInfo() == null
                    && uri.getRawQuery() == null && uri.getRawFragment() == null && s.value().length() <= 2048;
            if (ok) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new ConfigException(s.variable(), ConfigException.quote(s.value()), expected);
    }

    private static Secret secret(Env.Setting s) {
        String v = s.value();
        if (v.length() > MAX_SECRET || v.chars().anyMatch(Character::isISOControl)) {
            throw new ConfigException(s.variable(), Secret.MASK,
                    "at most " + MAX_SECRET + " characters, without control characters");
        }
        return new Secret(s.variable(), v);
    }

    private static String bootstrapServers(Env.Setting s) {
        for (String hp : s.value().split(",", -1)) {
            var m = HOST_PORT.matcher(hp.trim());
            if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
                throw new ConfigException(s.variable(), ConfigException.quote(s.value()),
                        "a comma-separated list of host:port, such as kafka-1:9092,kafka-2:9092");
            }
        }
        return s.value().trim();
    }

    private static String topic(Env env, String variable, String fallback) {
        String t = env.get(variable).map(String::trim).orElse(fallback);
        if (!TOPIC.matcher(t).matches() || t.equals(".") || t.equals("..")) {
            throw new ConfigException(variable, ConfigException.quote(t),
                    "a Kafka topic name of 1-249 letters, digits, '.', '_' or '-'");
        }
        return t;
    }
}
