package dev.metering.model.config;

import java.util.Objects;

/**
 * A secret value and the variable it came from. {@link #toString()} never shows the value, so a
 * secret printed or logged by accident stays masked.
 */
public final class Secret {
    public static final String MASK = "<masked>";

    private final String variable;
    private final String value;

    public Secret(String variable, String value) {
        this.variable = Objects.requireNonNull(variable, "variable");
        this.value = Objects.requireNonNull(value, "value");
    }

    /** The value itself. Call only where it is used, never to print it. */
    public String reveal() {
        return value;
    }

    /** The variable it was read from, such as {@code PLATFORM_SECRET}. */
    public String variable() {
        return variable;
    }

    @Override
    public String toString() {
        return MASK;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && s.variable.equals(variable) && s.value.equals(value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(variable, value);
    }
}
