package dev.metering.model.config;

/**
 * A configuration value that cannot be used. The message names the variable, shows the value
 * (never a secret's) and says what was expected, in the form
 * {@code PROXY_PORT: "80x" (expected: a port number 0-65535)}. Commands exit with code 2 on it.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String variable;

    public ConfigException(String variable, String shownValue, String expected) {
        super(variable + ": " + shownValue + " (expected: " + expected + ")");
        this.variable = variable;
    }

    /** A value that may be shown, quoted and cut to a readable length. */
    static String quote(String value) {
        String v = value.length() > 120 ? value.substring(0, 120) + "..." : value;
        StringBuilder sb = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            sb.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return sb.append('"').toString();
    }

    /** The variable (or flag) that holds the bad value. */
    public String variable() {
        return variable;
    }
}
