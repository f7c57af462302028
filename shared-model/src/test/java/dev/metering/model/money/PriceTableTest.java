package dev.metering.model.money;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class PriceTableTest {
    private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    private final PriceTable table = PriceTable.bundled();

    @Test
    void pricesTheIssueExampleExactlyAndRoundsHalfUpOnce() {
        // 120 x 3 + 40 x 15 + 10 x 0.30 + 5 x 3.75 = 360 + 600 + 3 + 18.75 = 981.75 micro-USD
        Cost cost = table.cost("claude-sonnet-4-5-20250929", new TokenUsage(120, 40, 10, 5), NOW);
        assertThat(cost).isEqualTo(new Cost(982, "2025-10-01", true));
    }

    @Test
    void pricesEveryModelOfTheStartingTableByHand() {
        TokenUsage million = new TokenUsage(1_000_000, 1_000_000, 1_000_000, 1_000_000);
        // USD per million tokens: input + output + cache read + cache write, in micro-USD
        assertThat(table.cost("claude-opus-4-6", million, NOW).micros()).isEqualTo(36_750_000);
        assertThat(table.cost("claude-opus-4-5", million, NOW).micros()).isEqualTo(36_750_000);
        assertThat(table.cost("claude-sonnet-4-6", million, NOW).micros()).isEqualTo(22_050_000);
        assertThat(table.cost("claude-sonnet-4-5", million, NOW).micros()).isEqualTo(22_050_000);
        assertThat(table.cost("claude-haiku-4-5", million, NOW).micros()).isEqualTo(7_350_000);
    }

    @Test
    void resolvesEveryAliasToItsBaseModel() {
        TokenUsage u = new TokenUsage(1000, 100, 0, 0);
        assertThat(table.cost("claude-opus-4-6-20250923", u, NOW).micros()).isEqualTo(7_500);
        assertThat(table.cost("claude-opus-4-5-20250514", u, NOW).micros()).isEqualTo(7_500);
        assertThat(table.cost("claude-sonnet-4-6-20250827", u, NOW).micros()).isEqualTo(4_500);
        assertThat(table.cost("claude-sonnet-4-5-20250929", u, NOW).micros()).isEqualTo(4_500);
        assertThat(table.cost("claude-haiku-4-5-20251001", u, NOW).micros()).isEqualTo(1_500);
    }

    @Test
    void roundsHalfUpAtTheMicroDollar() {
        // haiku cache read is 0.10 micro-USD a token: 4 tokens = 0.4 -> 0, 5 = 0.5 -> 1, 15 = 1.5 -> 2
        assertThat(table.cost("claude-haiku-4-5", new TokenUsage(0, 0, 4, 0), NOW).micros()).isZero();
        assertThat(table.cost("claude-haiku-4-5", new TokenUsage(0, 0, 5, 0), NOW).micros()).isEqualTo(1);
        assertThat(table.cost("claude-haiku-4-5", new TokenUsage(0, 0, 15, 0), NOW).micros()).isEqualTo(2);
        // opus cache write is 6.25: 2 tokens = 12.5 -> 13; rounding happens once, on the sum
        assertThat(table.cost("claude-opus-4-6", new TokenUsage(0, 0, 0, 2), NOW).micros()).isEqualTo(13);
        assertThat(table.cost("claude-opus-4-6", new TokenUsage(0, 0, 1, 1), NOW).micros()).isEqualTo(7);
    }

    @Test
    void anUnpricedModelCostsNothingAndSaysSo() {
        Cost cost = table.cost("gpt-4o", new TokenUsage(1000, 1000, 0, 0), NOW);
        assertThat(cost).isEqualTo(new Cost(0, "2025-10-01", false));
        assertThat(table.cost("claude-sonnet-4-5-20991231", new TokenUsage(1, 1, 0, 0), NOW).priced()).isFalse();
    }

    @Test
    void choosesTheVersionInForceAtTheCallsTime() throws IOException {
        PriceTable t = parse("""
                {"versions": [
                  {"version": "v2", "effectiveFrom": "2026-06-01T00:00:00Z",
                   "models": {"m": {"input": 2, "output": 0, "cacheRead": 0, "cacheWrite": 0}}},
                  {"version": "v1", "effectiveFrom": "2026-01-01T00:00:00Z",
                   "models": {"m": {"input": 1, "output": 0, "cacheRead": 0, "cacheWrite": 0}},
                   "aliases": {"m-dated": "m"}}
                ]}""");
        TokenUsage u = new TokenUsage(10, 0, 0, 0);
        assertThat(t.cost("m", u, Instant.parse("2026-05-31T23:59:59Z"))).isEqualTo(new Cost(10, "v1", true));
        assertThat(t.cost("m", u, Instant.parse("2026-06-01T00:00:00Z"))).isEqualTo(new Cost(20, "v2", true));
        // an alias belongs to its version: v2 dropped it
        assertThat(t.cost("m-dated", u, Instant.parse("2026-03-01T00:00:00Z")).priced()).isTrue();
        assertThat(t.cost("m-dated", u, Instant.parse("2026-07-01T00:00:00Z")).priced()).isFalse();
    }

    @Test
    void refusesATableThatCannotBeExact() {
        assertThatThrownBy(() -> parse("""
                {"versions": [{"version": "v1", "effectiveFrom": "2026-01-01T00:00:00Z",
                  "models": {"m": {"input": 0.0000001, "output": 0, "cacheRead": 0, "cacheWrite": 0}}}]}"""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model m").hasMessageContaining("at most 6 decimals");
        assertThatThrownBy(() -> parse("""
                {"versions": [{"version": "v1", "effectiveFrom": "2026-01-01T00:00:00Z",
                  "models": {"m": {"input": 1, "output": 1, "cacheRead": 0, "cacheWrite": 0}},
                  "aliases": {"x": "nope"}}]}"""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alias x");
        assertThatThrownBy(() -> parse("{\"versions\": []}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-empty");
    }

    private static PriceTable parse(String json) throws IOException {
        return PriceTable.parse(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }
}
