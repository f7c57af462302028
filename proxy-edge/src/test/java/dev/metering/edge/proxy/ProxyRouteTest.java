package dev.metering.edge.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProxyRouteTest {

    @ParameterizedTest
    @ValueSource(strings = {"/v1/messages", "/v1/messages?beta=true", "/v1/models", "/v1/messages/count_tokens"})
    void acceptsOriginFormPathsUnderV1(String uri) {
        assertThat(ProxyRoute.safePath(uri)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/../admin", "/v1/%2e%2e/admin", "/v1/%2E%2E/x", "/v1/./messages", "/v1//messages",
        "/v1/..\\admin", "/v1/%5c..", "http://evil.example/v1/messages", "/v2/messages", "/v1messages",
        "/v1/messages\u0000"})
    void refusesTraversalAbsoluteFormAndOtherPaths(String uri) {
        assertThat(ProxyRoute.safePath(uri)).isFalse();
    }
}
