package dev.metering.model.money;

/** Tokens of one call, by kind. All counts are non-negative. */
public record TokenUsage(long input, long output, long cacheRead, long cacheWrite) {
    public static final TokenUsage NONE = new TokenUsage(0, 0, 0, 0);

    public TokenUsage {
        if (input < 0 || output < 0 || cacheRead < 0 || cacheWrite < 0) {
            throw new IllegalArgumentException("token counts must be >= 0: " + input + "/" + output + "/"
                    + cacheRead + "/" + cacheWrite);
        }
    }
}
