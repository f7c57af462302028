package dev.metering.simulator;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A fast simulator and a client for it, started fresh for each test. */
abstract class SimulatorTestBase {
    /** How long a test waits for anything the simulator should do at once. */
    static final Duration LIMIT = Duration.ofSeconds(3);

    AnthropicSimulator simulator;
    SimClient client;

    @BeforeEach
    void start() {
        simulator = AnthropicSimulator.start(SimClient.FAST);
        client = new SimClient(simulator);
    }

    @AfterEach
    void stop() {
        simulator.close();
    }
}
