/**
 * A simulated Anthropic Messages API on Netty: JSON and server-sent events shaped like the real API,
 * with usage computed from the request by a documented rule ({@link dev.metering.simulator.SimulatedUsage}),
 * and test hooks for faults, held streams and the exact bytes exchanged. Used by integration tests and by
 * the offline {@code dev} mode.
 */
package dev.metering.simulator;
