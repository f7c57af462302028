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

    /** A value and the variable it was read from. */
    record Setting(String variable, String value) {
    }
}
