package dev.metering.consumer.admin;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.metering.consumer.db.QuotaStore;

/**
 * Parses and validates {@code POST /quotas/{userId}}: {@code {"dailyLimitUsd": x|null,
 * "monthlyLimitUsd": y|null}}. Each limit is a non-negative USD number with at most six
 * decimals, or null for none; an absent field means null. Anything else is refused with the reason.
 */
final class QuotaRequest {
    static final BigDecimal MAX_USD = new BigDecimal("1000000000");
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private QuotaRequest() {
    }

    /** A body that cannot be accepted; the message is the reason given to the caller. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String reason) {
            super(reason);
        }
    }

    static QuotaStore.Limits parse(byte[] body) throws Invalid {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new Invalid("body is not JSON");
        }
        if (root == null || !root.isObject()) {
            throw new Invalid("body must be a JSON object with dailyLimitUsd and monthlyLimitUsd");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            String name = it.next().getKey();
            if (!name.equals("dailyLimitUsd") && !name.equals("monthlyLimitUsd")) {
                throw new Invalid("unknown field " + name + " (expected: dailyLimitUsd, monthlyLimitUsd)");
            }
        }
        return new QuotaStore.Limits(limit(root, "dailyLimitUsd"), limit(root, "monthlyLimitUsd"));
    }

    private static Optional<BigDecimal> limit(JsonNode root, String field) throws Invalid {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isNumber()) {
            throw new Invalid(field + " must be a non-negative number or null, not " + describe(n));
        }
        BigDecimal v = n.decimalValue();
        if (v.signum() < 0) {
            throw new Invalid(field + " must be a non-negative number or null, not " + v.toPlainString());
        }
        if (v.stripTrailingZeros().scale() > 6) {
            throw new Invalid(field + " has more than 6 decimals: " + v.toPlainString());
        }
        if (v.compareTo(MAX_USD) > 0) {
            throw new Invalid(field + " exceeds " + MAX_USD.toPlainString() + " USD");
        }
        return Optional.of(v.setScale(6));
    }

    private static String describe(JsonNode n) {
        String s = n.toString();
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
