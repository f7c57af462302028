package dev.metering.model.config;

import java.util.Map;
import java.util.Optional;

/**
 * Where configuration comes from: the process environment in production, a map in tests. A
 * variable set to a blank value counts as unset, so that {@code FOO=} in a compose file falls
 * through to the next fallback.
 */
@FunctionalInterface
public interface Env {
    /** The raw value of {@code name}, or null. */
    String raw(String name);

    static Env system() {
        return System::getenv;
    }

    static Env of(Map<String, String> values) {
        Map<String, String> copy = Map.copyOf(values);
        return copy::get;
    }

    /** The value of {@code name}, unless unset or blank. */
    default Optional<String> get(String name) {
        String v = raw(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
    }

    /** The first of {@code names} that is set, with the name it came from. */
    default Optional<Setting> first(String... names) {
        for (String name : names) {
            Optional<String> v = get(name);
            if (v.isPresent()) {
                return Optional.of(new Setting(name, v.get()));
            }
        }
        return Optional.empty();
    }

    /**
     * An optional integer variable within {@code min..max}.
     *
     * @throws ConfigException naming the variable when it is set to anything else
     */
    default long integer(String name, long fallback, long min, long max) {
        Optional<String> raw = get(name);
        if (raw.isEmpty()) {
            return fallback;
        }
        try {
            long v = Long.parseLong(raw.get().trim());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(name, ConfigException.quote(raw.get()), "an integer " + min + "-" + max);
    }

    /** A value and the variable it was read from. */
    record Setting(String variable, String value) {
    }
}
