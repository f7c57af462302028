package dev.metering.edge.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps metric labels from growing without bound: the first {@code max} distinct values are kept,
 * later ones are reported as {@code other}. User ids and model names come from callers, so a
 * caller must not be able to create meters at will.
 */
final class LabelLimiter {
    static final String OTHER = "other";

    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final int max;

    LabelLimiter(int max) {
        this.max = max;
    }

    String label(String value) {
        if (seen.contains(value)) {
            return value;
        }
        if (seen.size() >= max) {
            return OTHER;
        }
        seen.add(value);
        return value;
    }
}
