package dev.metering.edge.proxy;

/** Who a call is metered to: the user, and the session if the caller named one. */
record CallIdentity(String userId, String sessionId) {
    private static final int MAX_SESSION = 256;

    static String sessionFrom(String header) {
        if (header == null) {
            return null;
        }
        String s = header.trim();
        return s.isEmpty() || s.length() > MAX_SESSION || s.chars().anyMatch(Character::isISOControl) ? null : s;
    }
}
