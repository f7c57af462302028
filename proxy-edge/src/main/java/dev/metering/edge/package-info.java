/**
 * The edge: a Netty HTTP proxy in front of the Anthropic API that authenticates callers, relays
 * responses byte for byte, captures usage from streams as they pass, and emits one usage event
 * per call without ever losing one (SPEC §5, §6, §7, §11).
 */
package dev.metering.edge;
