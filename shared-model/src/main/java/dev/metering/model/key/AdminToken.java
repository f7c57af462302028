package dev.metering.model.key;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

import dev.metering.model.config.Secret;

/**
 * The admin bearer token check, shared by every admin route: {@code Authorization: Bearer
 * <token>}, compared in constant time. With no token configured, every admin call is refused.
 */
public final class AdminToken {
    private final Optional<byte[]> token;

    public AdminToken(Optional<Secret> token) {
        this.token = token.map(s -> s.reveal().getBytes(StandardCharsets.UTF_8));
    }

    /** Whether {@code authorizationHeader} carries the admin token. */
    public boolean allows(String authorizationHeader) {
        if (token.isEmpty() || authorizationHeader == null) {
            return false;
        }
        String h = authorizationHeader.trim();
        if (h.length() < 8 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = h.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(presented, token.get());
    }
}
