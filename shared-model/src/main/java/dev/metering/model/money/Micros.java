package dev.metering.model.money;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Money as integer micro-USD (1 USD = 1,000,000). Never a binary float: conversions to and from
 * USD decimals are exact, and a USD amount with more than six decimals is refused, not rounded.
 */
public final class Micros {
    public static final long PER_USD = 1_000_000L;
    private static final int SCALE = 6;

    private Micros() {
    }

    /**
     * The micro-USD of a USD amount.
     *
     * @throws IllegalArgumentException when {@code usd} has more than six decimals or does not fit
     */
    public static long fromUsd(BigDecimal usd) {
        try {
            return usd.setScale(SCALE, RoundingMode.UNNECESSARY).unscaledValue().longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(usd.toPlainString() + " USD (expected: at most 6 decimals and at most "
                    + toUsd(Long.MAX_VALUE).toPlainString() + ")", e);
        }
    }

    /** The USD amount, with six decimals. */
    public static BigDecimal toUsd(long micros) {
        return BigDecimal.valueOf(micros, SCALE);
    }

    /** Appends the USD amount with six decimals, as {@code toUsd(micros).toPlainString()} reads. */
    public static StringBuilder appendUsd(StringBuilder sb, long micros) {
        if (micros < 0) {
            return sb.append(toUsd(micros).toPlainString());
        }
        sb.append(micros / PER_USD).append('.');
        long fraction = micros % PER_USD;
        for (long p = PER_USD / 10; p > 0; p /= 10) {
            sb.append((char) ('0' + fraction / p % 10));
        }
        return sb;
    }

    /** {@code a + b}, failing rather than wrapping around. */
    public static long add(long a, long b) {
        return Math.addExact(a, b);
    }
}
