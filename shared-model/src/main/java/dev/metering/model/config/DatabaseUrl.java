package dev.metering.model.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A PostgreSQL location, from either form the environment may give:
 * {@code postgresql://user:pass@host:port/db?params} (libpq style, also {@code postgres://}) or
 * {@code jdbc:postgresql://host:port/db?params}. Host, port, database and parameters are kept
 * exactly as given and nothing is ever appended; libpq-style credentials move out of the URL into
 * {@link #user()} and {@link #password()}. Printing masks the password wherever it appears.
 */
public record DatabaseUrl(String variable, String jdbcUrl, Optional<String> user, Optional<Secret> password) {
    private static final String JDBC_PREFIX = "jdbc:postgresql:";
    private static final String EXPECTED =
            "a PostgreSQL URL, postgresql://user:pass@host:port/db or jdbc:postgresql://host:port/db";
    private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)([?&]password=)[^&]*");
    private static final int MAX_LENGTH = 4096;

    /**
     * Parses {@code value}, read from {@code variable}.
     *
     * @throws ConfigException naming the variable when the value is neither form
     */
    public static DatabaseUrl parse(String variable, String value) {
        if (value.length() > MAX_LENGTH || value.chars().anyMatch(Character::isISOControl)) {
            throw new ConfigException(variable, Secret.MASK, EXPECTED + ", without control characters, at most "
                    + MAX_LENGTH + " characters");
        }
        if (value.startsWith(JDBC_PREFIX)) {
            if (!value.startsWith(JDBC_PREFIX + "//") || value.length() == (JDBC_PREFIX + "//").length()) {
                throw new ConfigException(variable, masked(value), EXPECTED);
            }
            return new DatabaseUrl(variable, value, Optional.empty(), Optional.empty());
        }
        String rest;
        if (value.startsWith("postgresql://")) {
            rest = value.substring("postgresql://".length());
        } else if (value.startsWith("postgres://")) {
            rest = value.substring("postgres://".length());
        } else {
            throw new ConfigException(variable, masked(value), EXPECTED);
        }
        int slash = indexOfAny(rest, "/?");
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String tail = slash < 0 ? "" : rest.substring(slash);
        int at = authority.lastIndexOf('@');
        Optional<String> user = Optional.empty();
        Optional<Secret> password = Optional.empty();
        String hosts = authority;
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            hosts = authority.substring(at + 1);
            int colon = userInfo.indexOf(':');
            String u = colon < 0 ? userInfo : userInfo.substring(0, colon);
            if (!u.isEmpty()) {
                user = Optional.of(decode(variable, u));
            }
            if (colon >= 0) {
                password = Optional.of(new Secret(variable, decode(variable, userInfo.substring(colon + 1))));
            }
        }
        if (hosts.isEmpty()) {
            throw new ConfigException(variable, masked(value), EXPECTED + " (the host is missing)");
        }
        return new DatabaseUrl(variable, JDBC_PREFIX + "//" + hosts + tail, user, password);
    }

    private static int indexOfAny(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static String decode(String variable, String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(variable, Secret.MASK, EXPECTED + ", with credentials percent-encoded");
        }
    }

    /** {@code url} with any password, in user info or parameters, replaced by {@code <masked>}. */
    public static String masked(String url) {
        String out = PASSWORD_PARAM.matcher(url).replaceAll("$1" + Secret.MASK);
        int scheme = out.indexOf("://");
        int at = out.lastIndexOf('@');
        if (scheme >= 0 && at > scheme) {
            String userInfo = out.substring(scheme + 3, at);
            int colon = userInfo.indexOf(':');
            if (colon >= 0) {
                out = out.substring(0, scheme + 3) + userInfo.substring(0, colon + 1) + Secret.MASK + out.substring(at);
            }
        }
        return out;
    }

    /** The URL, user and password for printing, with the password masked. */
    @Override
    public String toString() {
        return masked(jdbcUrl) + user.map(u -> " user=" + u).orElse("")
                + password.map(p -> " password=" + Secret.MASK).orElse("");
    }
}
