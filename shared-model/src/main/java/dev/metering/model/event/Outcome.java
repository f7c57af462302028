package dev.metering.model.event;

import java.util.Locale;
import java.util.Optional;

/** How a proxied call ended, as recorded in its usage event. */
public enum Outcome {
    /** The upstream answered and the whole response reached the client. */
    COMPLETED,
    /** The client went away before the response ended; usage is what was seen until then. */
    CLIENT_DISCONNECTED,
    /** The upstream answered with an error status. */
    UPSTREAM_ERROR,
    /** The upstream did not answer in time (504). */
    UPSTREAM_TIMEOUT,
    /** The upstream could not be reached, or broke the connection (502). */
    UPSTREAM_UNREACHABLE;

    /** The name used in JSON, such as {@code client_disconnected}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Outcome> fromWireName(String name) {
        for (Outcome o : values()) {
            if (o.wireName().equals(name)) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }
}
