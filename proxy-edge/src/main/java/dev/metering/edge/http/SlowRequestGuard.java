package dev.metering.edge.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * Bounds how long a client may take to send a request, and how long a connection may sit idle
 * between requests: a slow client (slowloris) gets 408 and is closed. Sits next to the socket,
 * before the HTTP codec, and is told by the router when a request has fully arrived and when its
 * response is done.
 */
final class SlowRequestGuard extends ChannelDuplexHandler {
    private static final String TIMEOUT_BODY =
            "{\"type\":\"error\",\"error\":{\"type\":\"timeout_error\",\"message\":\"Request not received in time\"}}";
    private static final byte[] TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
            + "connection: close\r\ncontent-length: " + TIMEOUT_BODY.length() + "\r\n\r\n" + TIMEOUT_BODY)
            .getBytes(StandardCharsets.US_ASCII);

    private final long limitNanos;
    private ScheduledFuture<?> deadline;
    private boolean callInFlight;

    SlowRequestGuard(Duration limit) {
        this.limitNanos = limit.toNanos();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        arm(ctx);
        super.channelActive(ctx);
    }

    /** A complete request arrived: its call is in flight, no deadline applies. */
    void requestReceived() {
        callInFlight = true;
        disarm();
    }

    /** The response was sent and the connection waits for the next request. */
    void responseDone(ChannelHandlerContext ctx) {
        callInFlight = false;
        arm(ctx);
    }

    private void arm(ChannelHandlerContext ctx) {
        disarm();
        deadline = ctx.executor().schedule(() -> expire(ctx), limitNanos, TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        if (!callInFlight && ctx.channel().isActive()) {
            ByteBuf body = ctx.alloc().buffer(TIMEOUT.length).writeBytes(TIMEOUT);
            ctx.writeAndFlush(body).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        disarm();
        super.channelInactive(ctx);
    }
}
