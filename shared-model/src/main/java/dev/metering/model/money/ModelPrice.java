package dev.metering.model.money;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The prices of one model, held as pico-USD per token. One USD per million tokens is one micro-USD
 * per token, so a table price with up to six decimals is held exactly, and the cost of a call is
 * exact integer arithmetic, rounded half-up to the micro-dollar once.
 */
public record ModelPrice(long inputPicos, long outputPicos, long cacheReadPicos, long cacheWritePicos) {
    private static final long PICOS_PER_MICRO = 1_000_000L;

    public ModelPrice {
        if (inputPicos < 0 || outputPicos < 0 || cacheReadPicos < 0 || cacheWritePicos < 0) {
            throw new IllegalArgumentException("prices must be >= 0");
        }
    }

    /** Prices as the table writes them: USD per million tokens, up to six decimals. */
    public static ModelPrice ofUsdPerMillionTokens(BigDecimal input, BigDecimal output, BigDecimal cacheRead,
            BigDecimal cacheWrite) {
        return new ModelPrice(picosPerToken("input", input), picosPerToken("output", output),
                picosPerToken("cacheRead", cacheRead), picosPerToken("cacheWrite", cacheWrite));
    }

    /**
     * The exact cost of {@code usage}, rounded half-up to the micro-dollar.
     *
     * @throws ArithmeticException when the token counts are absurdly large (beyond ~9 million USD)
     */
    public long costMicros(TokenUsage usage) {
        long picos = Math.addExact(
                Math.addExact(Math.multiplyExact(usage.input(), inputPicos),
                        Math.multiplyExact(usage.output(), outputPicos)),
                Math.addExact(Math.multiplyExact(usage.cacheRead(), cacheReadPicos),
                        Math.multiplyExact(usage.cacheWrite(), cacheWritePicos)));
        // Half-up, for a non-negative amount.
        return (picos + PICOS_PER_MICRO / 2) / PICOS_PER_MICRO;
    }

    private static long picosPerToken(String kind, BigDecimal usdPerMillionTokens) {
        if (usdPerMillionTokens == null || usdPerMillionTokens.signum() < 0) {
            throw new IllegalArgumentException(kind + ": " + usdPerMillionTokens + " (expected: a price >= 0)");
        }
        try {
            return usdPerMillionTokens.setScale(6, RoundingMode.UNNECESSARY).unscaledValue().longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(kind + ": " + usdPerMillionTokens.toPlainString()
                    + " (expected: a price with at most 6 decimals)", e);
        }
    }
}
