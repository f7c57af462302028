package dev.metering.model.key;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.metering.model.config.Secret;

class AdminTokenTest {
    private final AdminToken token = new AdminToken(Optional.of(new Secret("PROXY_ADMIN_TOKEN", "s3cret-token")));

    @Test
    void acceptsTheBearerToken() {
        assertThat(token.allows("Bearer s3cret-token")).isTrue();
        assertThat(token.allows("bearer s3cret-token")).isTrue();
    }

    @Test
    void refusesMissingWrongAndOtherSchemes() {
        assertThat(token.allows(null)).isFalse();
        assertThat(token.allows("Bearer wrong")).isFalse();
        assertThat(token.allows("Bearer s3cret-token-and-more")).isFalse();
        assertThat(token.allows("Basic s3cret-token")).isFalse();
        assertThat(token.allows("s3cret-token")).isFalse();
        assertThat(token.allows("Bearer ")).isFalse();
    }

    @Test
    void withNoTokenConfiguredEveryCallIsRefused() {
        assertThat(new AdminToken(Optional.empty()).allows("Bearer anything")).isFalse();
    }
}
