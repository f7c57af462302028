package dev.metering.simulator;

import java.time.Duration;
import java.util.Objects;

/**
 * Where the simulator listens and how fast it answers: the delay before the first byte of a
 * {@code /v1/messages} response and the interval between streamed events.
 *
 * @param host           address to bind, normally {@code 127.0.0.1}
 * @param port           port to bind, {@code 0} for a free port
 * @param firstByteDelay delay before a message response (or its first event) is written
 * @param eventInterval  delay between two streamed events
 */
public record SimulatorOptions(String host, int port, Duration firstByteDelay, Duration eventInterval) {

    public SimulatorOptions {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port " + port + " (expected: 0-65535)");
        }
        requireNonNegative("firstByteDelay", firstByteDelay);
        requireNonNegative("eventInterval", eventInterval);
    }

    /** 127.0.0.1, a free port, 40 ms to the first byte and 15 ms between events: a realistic pace. */
    public static SimulatorOptions defaults() {
        return new SimulatorOptions("127.0.0.1", 0, Duration.ofMillis(40), Duration.ofMillis(15));
    }

    public SimulatorOptions withPort(int newPort) {
        return new SimulatorOptions(host, newPort, firstByteDelay, eventInterval);
    }

    public SimulatorOptions withFirstByteDelay(Duration delay) {
        return new SimulatorOptions(host, port, delay, eventInterval);
    }

    public SimulatorOptions withEventInterval(Duration interval) {
        return new SimulatorOptions(host, port, firstByteDelay, interval);
    }

    private static void requireNonNegative(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " " + d + " (expected: zero or more)");
        }
    }
}
