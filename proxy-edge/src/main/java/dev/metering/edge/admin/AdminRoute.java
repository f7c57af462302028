package dev.metering.edge.admin;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

import dev.metering.edge.http.ErrorResponses;
import dev.metering.edge.http.OneShotClient;
import dev.metering.model.key.AdminToken;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The admin paths ({@code /usage/*}, {@code /quotas/*}) at the edge's address: the bearer token
 * is checked here, then the request goes to the consumer's admin API ({@code METERING_ADMIN_URL})
 * and its answer comes back unchanged. Without an admin URL the edge answers 503.
 */
public final class AdminRoute {
    private static final int MAX_RESPONSE = 16 * 1024 * 1024;
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final AdminToken token;
    private final Optional<URI> target;

    public AdminRoute(AdminToken token, Optional<URI> target) {
        this.token = token;
        this.target = target;
    }

    /** Whether {@code path} is an admin path. */
    public static boolean matches(String path) {
        return path.startsWith("/usage/") || path.startsWith("/quotas/");
    }

    /** Answers {@code request} through {@code reply}, on the channel's event loop. Takes ownership of the request. */
    public void handle(ChannelHandlerContext ctx, FullHttpRequest request, Consumer<FullHttpResponse> reply) {
        if (!token.allows(request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
            request.release();
            reply.accept(ErrorResponses.error(ctx.alloc(), HttpResponseStatus.UNAUTHORIZED, "auth_error", "Unauthorized"));
            return;
        }
        if (target.isEmpty()) {
            request.release();
            reply.accept(ErrorResponses.error(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE, "api_error",
                    "Admin API not configured at this edge (METERING_ADMIN_URL)"));
            return;
        }
        DefaultFullHttpRequest out = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(),
                request.uri(), request.content().retain());
        out.headers().set(HttpHeaderNames.AUTHORIZATION, request.headers().get(HttpHeaderNames.AUTHORIZATION));
        if (request.headers().contains(HttpHeaderNames.CONTENT_TYPE)) {
            out.headers().set(HttpHeaderNames.CONTENT_TYPE, request.headers().get(HttpHeaderNames.CONTENT_TYPE));
        }
        request.release();
        OneShotClient.send(ctx.channel().eventLoop(), ctx.alloc(), target.get(), out, TIMEOUT, MAX_RESPONSE, reply);
    }
}
