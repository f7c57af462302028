package dev.metering.simulator;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * A request copied off its buffers, so it can wait in the connection's queue without holding a
 * reference-counted message.
 */
record IncomingRequest(HttpMethod method, String path, Map<String, String> headers, byte[] body,
        boolean keepAlive) {

    static IncomingRequest from(FullHttpRequest msg) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : msg.headers()) {
            headers.merge(h.getKey().toLowerCase(Locale.ROOT), h.getValue(), (a, b) -> a + ", " + b);
        }
        String path = new QueryStringDecoder(msg.uri()).path();
        return new IncomingRequest(msg.method(), path, Map.copyOf(headers), ByteBufUtil.getBytes(msg.content()),
                HttpUtil.isKeepAlive(msg));
    }

    /** A header by lower-case name, or {@code null}. */
    String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }
}
