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

    /** Copies the end-to-end headers: not hop-by-hop, and not named by {@code Connection}. */
    static void copyEndToEnd(io.netty.handler.codec.http.HttpHeaders from, io.netty.handler.codec.http.HttpHeaders to) {
        Set<String> listed = new java.util.HashSet<>();
        for (String v : from.getAll("connection")) {
            for (String token : v.split(",")) {
                listed.add(token.trim().toLowerCase(Locale.ROOT));
            }
        }
        for (var e : from) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (!NAMES.contains(name) && !listed.contains(name)) {
                to.add(e.getKey(), e.getValue());
            }
        }
    }
}
