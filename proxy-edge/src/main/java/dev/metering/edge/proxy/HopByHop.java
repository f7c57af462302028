package dev.metering.edge.proxy;

import java.util.Locale;
import java.util.Set;

/** Headers that describe one connection, not the message: never forwarded in either direction. */
final class HopByHop {
    private static final Set<String> NAMES = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

    private HopByHop() {
    }

    static boolean is(String name) {
        return NAMES.contains(name.toLowerCase(Locale.ROOT));
    }
}
