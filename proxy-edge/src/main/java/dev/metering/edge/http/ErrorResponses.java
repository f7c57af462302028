package dev.metering.edge.http;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** Responses the edge writes itself, in the Anthropic error shape where they are errors. */
public final class ErrorResponses {
    private ErrorResponses() {
    }

    /** {@code {"type":"error","error":{"type":type,"message":message}}} with {@code status}. */
    public static FullHttpResponse error(ByteBufAllocator alloc, HttpResponseStatus status, String type, String message) {
        return json(alloc, status, "{\"type\":\"error\",\"error\":{\"type\":\"" + escape(type) + "\",\"message\":\""
                + escape(message) + "\"}}");
    }

    public static FullHttpResponse json(ByteBufAllocator alloc, HttpResponseStatus status, String json) {
        ByteBuf body = alloc.buffer(json.length());
        body.writeCharSequence(json, StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        return res;
    }

    public static FullHttpResponse text(ByteBufAllocator alloc, HttpResponseStatus status, String contentType, String text) {
        ByteBuf body = alloc.buffer(text.length());
        body.writeCharSequence(text, StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        return res;
    }

    static String escape(String s) {
        return new String(JsonStringEncoder.getInstance().quoteAsString(s));
    }
}
