package dev.metering.edge.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.metering.model.config.Secret;
import dev.metering.model.key.ProxyKeys;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;

class CallerAuthTest {
    private static final Optional<Secret> SECRET = Optional.of(new Secret("PROXY_SHARED_SECRET", "proxy-shared-secret"));
    private static final Optional<Secret> UPSTREAM = Optional.of(new Secret("ANTHROPIC_API_KEY", "sk-ant-shared"));
    private static final String ALICE = new ProxyKeys("proxy-shared-secret").issue("alice");

    private final CallerAuth auth = new CallerAuth(SECRET, UPSTREAM);

    private static HttpHeaders headers(String... nameValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return h;
    }

    @Test
    void proxyKeyInXApiKeyIsMeteredToItsHandleWithTheSharedUpstreamKey() {
        assertThat(auth.authenticate(headers("x-api-key", ALICE)))
                .isEqualTo(new AuthResult.Allowed("alice", "x-api-key", "sk-ant-shared"));
    }

    @Test
    void proxyKeyAsBearerTokenIsAcceptedLikeCurrentSdksSendIt() {
        assertThat(auth.authenticate(headers("authorization", "Bearer " + ALICE)))
                .isEqualTo(new AuthResult.Allowed("alice", "x-api-key", "sk-ant-shared"));
    }

    @Test
    void callersOwnAnthropicKeyIsForwardedInTheHeaderItCameIn() {
        assertThat(auth.authenticate(headers("x-api-key", "sk-ant-mine", "x-matrix-user", "bob")))
                .isEqualTo(new AuthResult.Allowed("bob", "x-api-key", "sk-ant-mine"));
        assertThat(auth.authenticate(headers("authorization", "Bearer sk-ant-oat-mine")))
                .isEqualTo(new AuthResult.Allowed("anonymous", "authorization", "Bearer sk-ant-oat-mine"));
    }

    @Test
    void callerWithoutKeyUsesTheSharedUpstreamKey() {
        assertThat(auth.authenticate(headers("x-matrix-user", "carol")))
                .isEqualTo(new AuthResult.Allowed("carol", "x-api-key", "sk-ant-shared"));
    }

    @Test
    void withoutAnyUpstreamKeyTheAnswerIsNoApiKeyConfigured() {
        CallerAuth noShared = new CallerAuth(SECRET, Optional.empty());
        assertThat(noShared.authenticate(headers())).isEqualTo(AuthResult.Refused.NO_API_KEY);
        assertThat(noShared.authenticate(headers("x-api-key", ALICE))).isEqualTo(AuthResult.Refused.NO_API_KEY);
        assertThat(noShared.authenticate(headers("x-api-key", "sk-ant-mine")))
                .isInstanceOf(AuthResult.Allowed.class);
    }

    @Test
    void everythingElseIsUnauthorized() {
        String forged = new ProxyKeys("another-secret").issue("alice");
        for (HttpHeaders h : new HttpHeaders[] {
            headers("x-api-key", forged),
            headers("x-api-key", "sk-proxy-alice"),
            headers("x-api-key", ALICE.substring(0, ALICE.length() - 2)),
            headers("x-api-key", "SK-PROXY-" + ALICE.substring(9)),
            headers("x-api-key", "sk-openai-123"),
            headers("authorization", "Basic YWxpY2U6cHc="),
            headers("authorization", "Bearer not-a-key"),
        }) {
            assertThat(auth.authenticate(h)).as(h.toString()).isEqualTo(AuthResult.Refused.UNAUTHORIZED);
        }
    }

    @Test
    void proxyKeysAreRefusedWhenNoSharedSecretIsConfigured() {
        CallerAuth noSecret = new CallerAuth(Optional.empty(), UPSTREAM);
        assertThat(noSecret.authenticate(headers("x-api-key", ALICE))).isEqualTo(AuthResult.Refused.UNAUTHORIZED);
    }

    @Test
    void anUnreasonableUserHeaderFallsBackToAnonymous() {
        assertThat(auth.authenticate(headers("x-matrix-user", "x".repeat(300))))
                .isEqualTo(new AuthResult.Allowed("anonymous", "x-api-key", "sk-ant-shared"));
    }

    @Test
    void theUpstreamKeyNeverAppearsInToString() {
        assertThat(auth.authenticate(headers("x-api-key", ALICE)).toString()).doesNotContain("sk-ant-shared");
    }
}
