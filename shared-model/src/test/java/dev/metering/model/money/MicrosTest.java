package dev.metering.model.money;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;

import org.junit.jupiter.api.Test;

class MicrosTest {

    @Test
    void convertsUsdExactly() {
        assertThat(Micros.fromUsd(new BigDecimal("12.345678"))).isEqualTo(12_345_678L);
        assertThat(Micros.fromUsd(new BigDecimal("0.1"))).isEqualTo(100_000L);
        assertThat(Micros.toUsd(982)).isEqualByComparingTo("0.000982");
        assertThat(Micros.toUsd(982).toPlainString()).isEqualTo("0.000982");
    }

    @Test
    void appendsTheSameTextAsThePlainDecimal() {
        java.util.Random r = new java.util.Random(5);
        long[] edges = {0, 1, 999_999, 1_000_000, 1_000_001, Long.MAX_VALUE, -1, -1_000_000, Long.MIN_VALUE};
        for (long m : edges) {
            assertThat(Micros.appendUsd(new StringBuilder(), m).toString()).isEqualTo(Micros.toUsd(m).toPlainString());
        }
        for (int i = 0; i < 100_000; i++) {
            long m = i % 2 == 0 ? r.nextInt(100_000_000) : r.nextLong();
            assertThat(Micros.appendUsd(new StringBuilder(), m).toString()).isEqualTo(Micros.toUsd(m).toPlainString());
        }
    }

    @Test
    void refusesMoreThanSixDecimalsInsteadOfRounding() {
        assertThatThrownBy(() -> Micros.fromUsd(new BigDecimal("0.0000005")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 6 decimals");
    }

    @Test
    void addsWithoutWrappingAround() {
        assertThatThrownBy(() -> Micros.add(Long.MAX_VALUE, 1)).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void costOverflowFailsLoudly() {
        ModelPrice p = ModelPrice.ofUsdPerMillionTokens(BigDecimal.valueOf(25), BigDecimal.ONE, BigDecimal.ONE,
                BigDecimal.ONE);
        assertThatThrownBy(() -> p.costMicros(new TokenUsage(Long.MAX_VALUE / 2, 0, 0, 0)))
                .isInstanceOf(ArithmeticException.class);
    }
}
