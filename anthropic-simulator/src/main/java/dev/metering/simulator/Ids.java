package dev.metering.simulator;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/** Unique identifiers in the style of the real API: a prefix and 24 base-62 characters. */
final class Ids {
    private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final int COUNTER_DIGITS = 6;
    private static final int RANDOM_DIGITS = 18;

    private final AtomicLong counter = new AtomicLong();

    String messageId() {
        return next("msg_sim_");
    }

    String requestId() {
        return next("req_sim_");
    }

    /** A counter part keeps ids unique within one simulator; a random part keeps them apart across runs. */
    private String next(String prefix) {
        StringBuilder id = new StringBuilder(prefix.length() + COUNTER_DIGITS + RANDOM_DIGITS).append(prefix);
        long n = counter.incrementAndGet();
        char[] digits = new char[COUNTER_DIGITS];
        for (int i = COUNTER_DIGITS - 1; i >= 0; i--) {
            digits[i] = ALPHABET.charAt((int) (n % ALPHABET.length()));
            n /= ALPHABET.length();
        }
        id.append(digits);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < RANDOM_DIGITS; i++) {
            id.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return id.toString();
    }
}
