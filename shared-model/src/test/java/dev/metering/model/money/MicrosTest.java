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
