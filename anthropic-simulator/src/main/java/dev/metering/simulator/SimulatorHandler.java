package dev.metering.simulator;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Queue;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Routes the requests of one connection, one at a time: requests that arrive while an answer is still
 * being written (HTTP/1.1 pipelining) wait in a queue, so answers always go out in request order.
 */
final class SimulatorHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(SimulatorHandler.class);
    /** Stop reading from a client that has this many requests waiting. */
    private static final int MAX_WAITING = 16;

    private final MessagesRoute messages;
    private final Queue<IncomingRequest> waiting = new ArrayDeque<>();
    private boolean busy;

    SimulatorHandler(MessagesRoute messages) {
        this.messages = messages;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
        if (msg.decoderResult().isFailure()) {
            LOG.debug("malformed request on {}: {}", ctx.channel(), String.valueOf(msg.decoderResult().cause()));
            badRequestAndClose(ctx);
            return;
        }
        waiting.add(IncomingRequest.from(msg));
        if (waiting.size() >= MAX_WAITING) {
            ctx.channel().config().setAutoRead(false);
        }
        if (!busy) {
            serveNext(ctx);
        }
    }

    private void serveNext(ChannelHandlerContext ctx) {
        IncomingRequest request = waiting.poll();
        if (request == null) {
            busy = false;
            return;
        }
        if (waiting.size() < MAX_WAITING && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
        busy = true;
        // The next request starts from a fresh event-loop task, so a long pipeline never deepens the stack.
        HttpCall call = new HttpCall(ctx.channel(), request, () -> ctx.executor().execute(() -> serveNext(ctx)));
        route(call);
    }

    private void route(HttpCall call) {
        IncomingRequest request = call.request();
        switch (request.path()) {
            case "/v1/messages" -> {
                if (allowed(call, HttpMethod.POST)) {
                    messages.messages(call);
                }
            }
            case "/v1/messages/count_tokens" -> {
                if (allowed(call, HttpMethod.POST)) {
                    messages.countTokens(call);
                }
            }
            case "/health" -> {
                if (allowed(call, HttpMethod.GET)) {
                    call.respondJson(HttpResponseStatus.OK, Json.bytes(Json.object().put("status", "ok")), null, null);
                }
            }
            default -> call.respondJson(HttpResponseStatus.NOT_FOUND,
                    ErrorBodies.error(404, "Not found: " + request.path()), null, null);
        }
    }

    private static boolean allowed(HttpCall call, HttpMethod method) {
        if (call.request().method().equals(method)) {
            return true;
        }
        call.respondJson(HttpResponseStatus.METHOD_NOT_ALLOWED,
                ErrorBodies.error("invalid_request_error", "Method " + call.request().method() + " not allowed on "
                        + call.request().path() + " (allowed: " + method + ")"),
                new DefaultHttpHeaders().set(HttpHeaderNames.ALLOW, method.name()), null);
        return false;
    }

    private void badRequestAndClose(ChannelHandlerContext ctx) {
        if (busy) {
            ctx.close();
            return;
        }
        busy = true;
        byte[] body = ErrorBodies.error(400, "Malformed HTTP request");
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        HttpUtil.setContentLength(response, body.length);
        HttpUtil.setKeepAlive(response, false);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        waiting.clear();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException || cause instanceof DecoderException) {
            LOG.debug("connection {} failed: {}", ctx.channel(), cause.toString());
        } else {
            LOG.warn("closing {} after an unexpected error: {}", ctx.channel(), cause.toString());
        }
        ctx.close();
    }
}
