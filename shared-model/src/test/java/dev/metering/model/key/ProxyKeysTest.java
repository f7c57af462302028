package dev.metering.model.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ProxyKeysTest {
    /**
     * Computed outside Java:
     * {@code printf 'proxy:alice' | openssl dgst -sha256 -hmac 'proxy-shared-secret' -binary | basenc --base64url | tr -d '='}
     */
    private static final String ALICE = "sk-proxy-alice.5qaBgSVR4DioIoizAT7MjSrqtqjBUuud178ih0Y2hiA";

    private final ProxyKeys keys = new ProxyKeys("proxy-shared-secret");

    @Test
    void issuesTheKeyThePlatformIssues() {
        assertThat(keys.issue("alice")).isEqualTo(ALICE);
    }

    @Test
    void acceptsThePlatformsKeyAndReturnsItsHandle() {
        assertThat(keys.verify(ALICE)).contains("alice");
    }

    @Test
    void rejectsKeySignedWithAnotherSecret() {
        String forged = new ProxyKeys("another-secret").issue("alice");
        assertThat(keys.verify(forged)).isEmpty();
    }

    @Test
    void rejectsHandleOutsideThePattern() {
        assertThatThrownBy(() -> keys.issue("Alice")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("handle");
        // signed correctly, but the handle breaks the pattern: too short, upper case, leading digit, too long
        for (String handle : new String[] {"al", "Alice", "1alice", "a".repeat(32), "al_ce"}) {
            String key = "sk-proxy-" + handle + "." + keys.issue("alice").substring("sk-proxy-alice.".length());
            assertThat(keys.verify(key)).as(handle).isEmpty();
        }
    }

    @Test
    void rejectsTruncatedSignature() {
        assertThat(keys.verify(ALICE.substring(0, ALICE.length() - 1))).isEmpty();
        assertThat(keys.verify(ALICE.substring(0, ALICE.length() - 10))).isEmpty();
        assertThat(keys.verify("sk-proxy-alice.")).isEmpty();
    }

    @Test
    void rejectsBareHandleWithoutSignature() {
        assertThat(keys.verify("sk-proxy-alice")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SK-PROXY-alice.5qaBgSVR4DioIoizAT7MjSrqtqjBUuud178ih0Y2hiA",
        "sk-proxy-alice.5qaBgSVR4DioIoizAT7MjSrqtqjBUuud178ih0Y2hiB",
        "sk-proxy-alice.5qaBgSVR4DioIoizAT7MjSrqtqjBUuud178ih0Y2hiA=",
        "sk-proxy-alice.5qaBgSVR4DioIoizAT7MjSrqtqjBUuud178ih0Y2hiAA",
        " sk-proxy-alice.5qaBgSVR4DioIoizAT7MjSrqtqjBUuud178ih0Y2hiA",
        "sk-proxy-bob.5qaBgSVR4DioIoizAT7MjSrqtqjBUuud178ih0Y2hiA",
        "sk-ant-api03-alice",
        ""
    })
    void rejectsEveryOtherSpelling(String key) {
        assertThat(keys.verify(key)).isEmpty();
    }

    @Test
    void rejectsNullAndOversizedInputWithoutWork() {
        assertThat(keys.verify(null)).isEmpty();
        assertThat(keys.verify(ALICE + "x".repeat(10_000))).isEmpty();
    }
}
