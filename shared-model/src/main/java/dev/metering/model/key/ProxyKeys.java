package dev.metering.model.key;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Builds and verifies {@code sk-proxy-<handle>.<sig>} keys, byte-compatible with the keys the
 * platform issues: {@code sig} is base64url without padding of HMAC-SHA256(key = shared secret,
 * message = {@code proxy:<handle>}). There is no key table: the secret is the source of truth.
 * Thread-safe.
 */
public final class ProxyKeys {
    public static final String PREFIX = "sk-proxy-";
    public static final Pattern HANDLE = Pattern.compile("^[a-z][a-z0-9-]{2,30}$");
    private static final String ALGORITHM = "HmacSHA256";
    /** 32 bytes of HMAC in base64url without padding. */
    private static final int SIGNATURE_CHARS = 43;
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final int MAX_KEY_CHARS = PREFIX.length() + 31 + 1 + SIGNATURE_CHARS;

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;

    public ProxyKeys(byte[] sharedSecret) {
        if (sharedSecret == null || sharedSecret.length == 0) {
            throw new IllegalArgumentException("shared secret is empty");
        }
        this.key = new SecretKeySpec(sharedSecret.clone(), ALGORITHM);
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    public ProxyKeys(String sharedSecret) {
        this(sharedSecret.getBytes(StandardCharsets.UTF_8));
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
        }
    }

    /**
     * The key for {@code handle}.
     *
     * @throws IllegalArgumentException when the handle is outside {@link #HANDLE}
     */
    public String issue(String handle) {
        if (handle == null || !HANDLE.matcher(handle).matches()) {
            throw new IllegalArgumentException("handle: \"" + handle + "\" (expected: " + HANDLE.pattern() + ")");
        }
        return PREFIX + handle + "." + ENCODER.encodeToString(sign(handle));
    }

    /**
     * The handle of a valid key, or empty. The signature is compared in constant time; the
     * reason a key is refused is deliberately not returned.
     */
    public Optional<String> verify(String candidate) {
        if (candidate == null || candidate.length() > MAX_KEY_CHARS || !candidate.startsWith(PREFIX)) {
            return Optional.empty();
        }
        int dot = candidate.indexOf('.', PREFIX.length());
        if (dot < 0 || candidate.length() - dot - 1 != SIGNATURE_CHARS) {
            return Optional.empty();
        }
        String handle = candidate.substring(PREFIX.length(), dot);
        if (!HANDLE.matcher(handle).matches()) {
            return Optional.empty();
        }
        // Compare the text, not decoded bytes: base64 decoders ignore the unused low bits of the
        // last character, which would let several spellings of one signature pass.
        byte[] presented = candidate.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
        byte[] expected = ENCODER.encode(sign(handle));
        return MessageDigest.isEqual(presented, expected) ? Optional.of(handle) : Optional.empty();
    }

    private byte[] sign(String handle) {
        Mac mac = macs.get();
        return mac.doFinal(("proxy:" + handle).getBytes(StandardCharsets.UTF_8));
    }
}
