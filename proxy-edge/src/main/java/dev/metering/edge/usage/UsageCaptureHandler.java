package dev.metering.edge.usage;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Sits in the upstream pipeline after the HTTP codec and watches each response go by: it picks
 * the parser for the body's type and shows it every chunk, then passes every message on
 * untouched. Usage capture therefore never holds a byte back. One instance serves the successive
 * responses of a pooled connection.
 */
public final class UsageCaptureHandler extends ChannelInboundHandlerAdapter {
    private UsageParser parser = UsageParser.none();
    private boolean ended = true;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpResponse response) {
            parser = parserFor(response);
            ended = false;
        }
        if (msg instanceof HttpContent content && !ended) {
            parser.onChunk(content.content());
            if (msg instanceof LastHttpContent) {
                parser.onEnd();
                ended = true;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        finish();
        super.channelInactive(ctx);
    }

    /** Forgets the previous response of a pooled connection, before a new call uses it. */
    public void reset() {
        parser = UsageParser.none();
        ended = true;
    }

    /** Ends the current body early (the connection broke); what was seen still counts. */
    public void finish() {
        if (!ended) {
            parser.onEnd();
            ended = true;
        }
    }

    /** Usage of the current (or last) response. */
    public CapturedUsage usage() {
        return parser.usage();
    }

    static UsageParser parserFor(HttpResponse response) {
        String encoding = response.headers().get(HttpHeaderNames.CONTENT_ENCODING);
        if (encoding != null && !"identity".equalsIgnoreCase(encoding.trim())) {
            return UsageParser.none();
        }
        String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (type == null) {
            return UsageParser.none();
        }
        String t = type.toLowerCase(java.util.Locale.ROOT);
        if (t.startsWith("text/event-stream")) {
            return new SseUsageParser();
        }
        if (t.startsWith("application/json")) {
            return new JsonBodyUsageParser();
        }
        return UsageParser.none();
    }
}
