package dev.metering.model.money;

/**
 * The cost of one call. {@code priced} is false when the model has no price in the table version
 * in force; such a call costs 0 and is counted as unpriced, never silently.
 */
public record Cost(long micros, String pricingVersion, boolean priced) {
}
