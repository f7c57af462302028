package dev.metering.edge.auth;

import java.util.Optional;

import dev.metering.model.config.Secret;
import dev.metering.model.key.ProxyKeys;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * Decides who a caller is and which key goes upstream (SPEC §5). The caller's key comes in
 * {@code x-api-key} or as {@code Authorization: Bearer}. An {@code sk-proxy-} key is verified
 * against the shared secret and the shared upstream key is used; a caller's own {@code sk-ant-}
 * key is forwarded in the header it came in; a caller with no key uses the shared upstream key.
 * Anything else is refused. Pure logic, no I/O.
 */
public final class CallerAuth {
    static final String ANONYMOUS = "anonymous";
    private static final int MAX_USER_HEADER = 256;

    private final Optional<ProxyKeys> proxyKeys;
    private final Optional<Secret> upstreamKey;

    public CallerAuth(Optional<Secret> sharedSecret, Optional<Secret> upstreamKey) {
        this.proxyKeys = sharedSecret.map(s -> new ProxyKeys(s.reveal()));
        this.upstreamKey = upstreamKey;
    }

    /** The outcome for a request with {@code headers}. */
    public AuthResult authenticate(HttpHeaders headers) {
        String apiKey = headers.get("x-api-key");
        String bearer = bearer(headers.get(HttpHeaderNames.AUTHORIZATION));
        String key = apiKey != null ? apiKey.trim() : bearer;
        boolean viaAuthorization = apiKey == null && bearer != null;

        if (key == null || key.isEmpty()) {
            return upstreamKey.<AuthResult>map(k -> new AuthResult.Allowed(matrixUser(headers), "x-api-key", k.reveal()))
                    .orElse(AuthResult.Refused.NO_API_KEY);
        }
        if (key.startsWith(ProxyKeys.PREFIX)) {
            Optional<String> handle = proxyKeys.flatMap(p -> p.verify(key));
            if (handle.isEmpty()) {
                return AuthResult.Refused.UNAUTHORIZED;
            }
            return upstreamKey.<AuthResult>map(k -> new AuthResult.Allowed(handle.get(), "x-api-key", k.reveal()))
                    .orElse(AuthResult.Refused.NO_API_KEY);
        }
        if (key.startsWith("sk-ant-") && key.length() <= 512 && key.chars().noneMatch(Character::isISOControl)) {
            return viaAuthorization
                    ? new AuthResult.Allowed(matrixUser(headers), "authorization", "Bearer " + key)
                    : new AuthResult.Allowed(matrixUser(headers), "x-api-key", key);
        }
        return AuthResult.Refused.UNAUTHORIZED;
    }

    private static String bearer(String authorization) {
        if (authorization == null) {
            return null;
        }
        String a = authorization.trim();
        if (a.length() > 7 && a.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return a.substring(7).trim();
        }
        return a; // another scheme: not a key we know, so refused
    }

    private static String matrixUser(HttpHeaders headers) {
        String u = headers.get("x-matrix-user");
        if (u == null) {
            return ANONYMOUS;
        }
        u = u.trim();
        if (u.isEmpty() || u.length() > MAX_USER_HEADER || u.chars().anyMatch(Character::isISOControl)) {
            return ANONYMOUS;
        }
        return u;
    }
}
