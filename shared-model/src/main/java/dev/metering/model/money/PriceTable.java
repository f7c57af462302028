package dev.metering.model.money;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The versioned price table. Each version has an effective date, prices per model and aliases
 * (dated model names) to base names; the version in force at a call's time prices it. The table
 * is a resource ({@value #RESOURCE}), so a price change is a reviewed commit with a new version.
 */
public final class PriceTable {
    public static final String RESOURCE = "/dev/metering/model/money/prices.json";

    private final List<Version> versions; // sorted by effectiveFrom, ascending

    private PriceTable(List<Version> versions) {
        this.versions = versions;
    }

    /** One version of the table. */
    public record Version(String version, Instant effectiveFrom, Map<String, ModelPrice> models,
            Map<String, String> aliases) {

        /** The price of {@code model}, by exact name or by alias. */
        public Optional<ModelPrice> price(String model) {
            ModelPrice p = models.get(model);
            if (p == null) {
                String base = aliases.get(model);
                p = base == null ? null : models.get(base);
            }
            return Optional.ofNullable(p);
        }
    }

    /** The table shipped with this build. */
    public static PriceTable bundled() {
        try (InputStream in = PriceTable.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("price table resource " + RESOURCE + " is missing from the build");
            }
            return parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + RESOURCE, e);
        }
    }

    /**
     * Parses a table.
     *
     * @throws IllegalArgumentException naming the version and model that is wrong
     */
    public static PriceTable parse(InputStream json) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        JsonNode root = mapper.readTree(json);
        JsonNode list = root == null ? null : root.get("versions");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new IllegalArgumentException("price table: \"versions\" must be a non-empty array");
        }
        List<Version> versions = new ArrayList<>();
        for (JsonNode v : list) {
            versions.add(parseVersion(v));
        }
        versions.sort(Comparator.comparing(Version::effectiveFrom));
        for (int i = 1; i < versions.size(); i++) {
            if (versions.get(i).effectiveFrom().equals(versions.get(i - 1).effectiveFrom())) {
                throw new IllegalArgumentException("price table: versions " + versions.get(i - 1).version() + " and "
                        + versions.get(i).version() + " take effect at the same instant");
            }
        }
        return new PriceTable(List.copyOf(versions));
    }

    private static Version parseVersion(JsonNode v) {
        String name = v.path("version").asText("");
        if (name.isEmpty() || name.length() > 64) {
            throw new IllegalArgumentException("price table: a version has no name (or one over 64 characters)");
        }
        Instant from;
        try {
            from = Instant.parse(v.path("effectiveFrom").asText(""));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("price table " + name + ": effectiveFrom \""
                    + v.path("effectiveFrom").asText("") + "\" (expected: an RFC 3339 UTC instant)", e);
        }
        Map<String, ModelPrice> models = new HashMap<>();
        v.path("models").fields().forEachRemaining(e -> {
            JsonNode p = e.getValue();
            try {
                models.put(e.getKey(), ModelPrice.ofUsdPerMillionTokens(decimal(p, "input"), decimal(p, "output"),
                        decimal(p, "cacheRead"), decimal(p, "cacheWrite")));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("price table " + name + ", model " + e.getKey() + ": "
                        + ex.getMessage(), ex);
            }
        });
        if (models.isEmpty()) {
            throw new IllegalArgumentException("price table " + name + ": no models");
        }
        Map<String, String> aliases = new HashMap<>();
        v.path("aliases").fields().forEachRemaining(e -> {
            String base = e.getValue().asText("");
            if (!models.containsKey(base)) {
                throw new IllegalArgumentException("price table " + name + ": alias " + e.getKey()
                        + " points at unpriced model \"" + base + "\"");
            }
            aliases.put(e.getKey(), base);
        });
        return new Version(name, from, Map.copyOf(models), Map.copyOf(aliases));
    }

    private static BigDecimal decimal(JsonNode price, String field) {
        JsonNode n = price.get(field);
        if (n == null || !n.isNumber()) {
            throw new IllegalArgumentException(field + ": " + n + " (expected: USD per million tokens, a number)");
        }
        return n.decimalValue();
    }

    /** The version in force at {@code at}: the latest one effective at or before it. */
    public Version versionAt(Instant at) {
        Version chosen = versions.get(0);
        for (Version v : versions) {
            if (!v.effectiveFrom().isAfter(at)) {
                chosen = v;
            }
        }
        return chosen;
    }

    /** The cost of a call to {@code model} with {@code usage}, at the prices in force at {@code at}. */
    public Cost cost(String model, TokenUsage usage, Instant at) {
        Version v = versionAt(at);
        return v.price(model)
                .map(p -> new Cost(p.costMicros(usage), v.version(), true))
                .orElseGet(() -> new Cost(0, v.version(), false));
    }

    public List<Version> versions() {
        return versions;
    }
}
