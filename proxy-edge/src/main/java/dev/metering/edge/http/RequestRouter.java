package dev.metering.edge.http;

import java.util.ArrayDeque;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.metering.edge.admin.AdminRoute;
import dev.metering.edge.instances.InstanceRoutes;
import dev.metering.edge.proxy.ProxyCall;
import dev.metering.edge.proxy.ProxyRoute;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;

/**
 * Routes each request of a client connection: {@code /health}, {@code /metrics}, {@code /v1/*}
 * to the proxy, anything else 404. One request at a time: auto-read is off, the next request is
 * handled only once this one's response is done, and a pipelined request waits its turn, so
 * responses never interleave. While a call runs one read stays pending, so a client that hangs
 * up is noticed at once.
 */
final class RequestRouter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(RequestRouter.class);
    private static final int MAX_PIPELINED = 16;

    private final EdgeRoutes routes;
    private final SlowRequestGuard guard;
    private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
    private boolean busy;
    private ProxyCall current;

    RequestRouter(EdgeRoutes routes, SlowRequestGuard guard) {
        this.routes = routes;
        this.guard = guard;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        super.channelActive(ctx);
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (busy) {
            if (waiting.size() >= MAX_PIPELINED) {
                request.release();
                ctx.close();
                return;
            }
            waiting.add(request);
            return;
        }
        handle(ctx, request);
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        busy = true;
        long received = System.nanoTime();
        guard.requestReceived();
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            request.release();
            respond(ctx, badRequest(ctx, cause), false);
            return;
        }
        String path = path(request.uri());
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (path.equals("/v1") || path.startsWith("/v1/")) {
            proxy(ctx, request, received, keepAlive);
            return;
        }
        if (InstanceRoutes.matches(path)) {
            routes.instances().handle(ctx, request, path, res -> respond(ctx, res, keepAlive));
            return;
        }
        if (AdminRoute.matches(path)) {
            routes.admin().handle(ctx, request, res -> respond(ctx, res, keepAlive));
            return;
        }
        request.release();
        FullHttpResponse res;
        if (path.equals("/health") && request.method().equals(HttpMethod.GET)) {
            res = routes.health(ctx.alloc());
        } else if (path.equals("/ready") && request.method().equals(HttpMethod.GET)) {
            res = routes.ready(ctx.alloc());
        } else if (path.equals("/metrics") && request.method().equals(HttpMethod.GET)) {
            res = routes.metrics(ctx.alloc());
        } else {
            res = ErrorResponses.error(ctx.alloc(), HttpResponseStatus.NOT_FOUND, "not_found_error", "Not found");
        }
        respond(ctx, res, keepAlive);
    }

    private void proxy(ChannelHandlerContext ctx, FullHttpRequest request, long received, boolean keepAlive) {
        routes.inFlight().started();
        ProxyRoute.Admission admission;
        try {
            admission = routes.proxy().admit(ctx, request, received, () -> callDone(ctx));
        } catch (RuntimeException e) {
            // admit() only throws before a call took the request over.
            log.error("request to {} failed in the edge", path(request.uri()), e);
            routes.inFlight().finished();
            ReferenceCountUtil.release(request);
            respond(ctx, ErrorResponses.error(ctx.alloc(), HttpResponseStatus.INTERNAL_SERVER_ERROR, "api_error",
                    "Internal error"), false);
            return;
        }
        if (admission instanceof ProxyRoute.Admission.Started started) {
            if (!started.call().done()) {
                current = started.call();
                // Keep one read pending while the call runs: a client that hangs up is noticed at
                // once (and its upstream call stopped), and a pipelined request waits its turn.
                ctx.read();
            }
            return;
        }
        routes.inFlight().finished();
        request.release();
        respond(ctx, ((ProxyRoute.Admission.Refused) admission).response(), keepAlive);
    }

    private void callDone(ChannelHandlerContext ctx) {
        current = null;
        routes.inFlight().finished();
        next(ctx);
    }

    private void respond(ChannelHandlerContext ctx, FullHttpResponse res, boolean keepAlive) {
        boolean reuse = keepAlive && !routes.draining();
        if (reuse) {
            HttpUtil.setKeepAlive(res, true);
        } else {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.writeAndFlush(res).addListener((ChannelFutureListener) f -> {
            if (!reuse || !f.isSuccess()) {
                ctx.close();
            }
            next(ctx);
        });
    }

    /** This request's response is done: serve a request that already arrived, or read the next. */
    private void next(ChannelHandlerContext ctx) {
        busy = false;
        if (!ctx.channel().isActive()) {
            releaseWaiting();
            return;
        }
        guard.responseDone(ctx);
        FullHttpRequest queued = waiting.poll();
        if (queued != null) {
            handle(ctx, queued);
        } else {
            ctx.read();
        }
    }

    private void releaseWaiting() {
        FullHttpRequest r;
        while ((r = waiting.poll()) != null) {
            r.release();
        }
    }

    private static FullHttpResponse badRequest(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return ErrorResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "invalid_request_error", "Request headers too large");
        }
        if (cause instanceof TooLongHttpLineException) {
            return ErrorResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_URI_TOO_LONG,
                    "invalid_request_error", "Request line too long");
        }
        if (cause instanceof TooLongFrameException) {
            return ErrorResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "invalid_request_error", "Request too large");
        }
        return ErrorResponses.error(ctx.alloc(), HttpResponseStatus.BAD_REQUEST, "invalid_request_error",
                "Malformed HTTP request");
    }

    private static String path(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseWaiting();
        if (current != null) {
            current.clientGone();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (current != null) {
            current.clientWritable();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
