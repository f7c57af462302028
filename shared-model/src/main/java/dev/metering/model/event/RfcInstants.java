package dev.metering.model.event;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;

/**
 * A fast path for the one timestamp shape events carry, {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z}:
 * {@link Instant#parse} builds a general parser context per call, which showed up as the largest
 * cost of decoding events in the consumer, and {@link DateTimeFormatter#ISO_INSTANT} as a large
 * cost of writing them. Parsing anything else returns null and takes the general path.
 */
public final class RfcInstants {
    private static final long MIN_EPOCH_DAY = LocalDate.of(0, 1, 1).toEpochDay();
    private static final long MAX_EPOCH_DAY = LocalDate.of(9999, 12, 31).toEpochDay();

    private RfcInstants() {
    }

    /**
     * Appends {@code t} as {@link DateTimeFormatter#ISO_INSTANT} would (fractions in groups of
     * three digits, none when zero) for the years 0-9999; other years take the formatter.
     */
    public static StringBuilder appendTo(StringBuilder sb, Instant t) {
        long seconds = t.getEpochSecond();
        long epochDay = Math.floorDiv(seconds, 86_400);
        if (epochDay < MIN_EPOCH_DAY || epochDay > MAX_EPOCH_DAY) {
            return sb.append(DateTimeFormatter.ISO_INSTANT.format(t));
        }
        LocalDate date = LocalDate.ofEpochDay(epochDay);
        int secondOfDay = (int) Math.floorMod(seconds, 86_400);
        pad(sb, date.getYear(), 4).append('-');
        pad(sb, date.getMonthValue(), 2).append('-');
        pad(sb, date.getDayOfMonth(), 2).append('T');
        pad(sb, secondOfDay / 3600, 2).append(':');
        pad(sb, secondOfDay / 60 % 60, 2).append(':');
        pad(sb, secondOfDay % 60, 2);
        int nanos = t.getNano();
        if (nanos != 0) {
            sb.append('.');
            if (nanos % 1_000_000 == 0) {
                pad(sb, nanos / 1_000_000, 3);
            } else if (nanos % 1000 == 0) {
                pad(sb, nanos / 1000, 6);
            } else {
                pad(sb, nanos, 9);
            }
        }
        return sb.append('Z');
    }

    /** {@code t} as {@link DateTimeFormatter#ISO_INSTANT} writes it. */
    public static String format(Instant t) {
        return appendTo(new StringBuilder(30), t).toString();
    }

    private static StringBuilder pad(StringBuilder sb, int value, int width) {
        for (int d = width - 1, p = pow10(d); d >= 0; d--, p /= 10) {
            sb.append((char) ('0' + value / p % 10));
        }
        return sb;
    }

    private static int pow10(int n) {
        int p = 1;
        for (int i = 0; i < n; i++) {
            p *= 10;
        }
        return p;
    }

    static Instant parse(String s) {
        int n = s.length();
        if (n < 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T' || s.charAt(13) != ':'
                || s.charAt(16) != ':' || s.charAt(n - 1) != 'Z') {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 7);
        int day = digits(s, 8, 10);
        int hour = digits(s, 11, 13);
        int minute = digits(s, 14, 16);
        int second = digits(s, 17, 19);
        if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0
                || second > 59) {
            return null;
        }
        int nanos = 0;
        if (n > 20) {
            if (s.charAt(19) != '.' || n - 21 < 1 || n - 21 > 9) {
                return null;
            }
            int frac = digits(s, 20, n - 1);
            if (frac < 0) {
                return null;
            }
            nanos = frac;
            for (int i = n - 21; i < 9; i++) {
                nanos *= 10;
            }
        } else if (s.charAt(19) != 'Z') {
            return null;
        }
        try {
            long epochDay = LocalDate.of(year, month, day).toEpochDay();
            return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3600L + minute * 60L + second, nanos);
        } catch (DateTimeException e) {
            return null;
        }
    }

    private static int digits(String s, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
