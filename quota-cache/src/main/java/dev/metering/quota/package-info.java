/**
 * Quota state at the edge: follows the compacted {@code quota-state} topic and admits calls from
 * memory, with this edge's unreflected spend and its in-flight reservations (SPEC §10).
 */
package dev.metering.quota;
