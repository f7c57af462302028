package dev.metering.edge.admin;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.metering.edge.http.ErrorResponses;
import dev.metering.model.key.AdminToken;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;

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

    /**
     * Answers {@code request} through {@code reply}, on the channel's event loop. Takes ownership
     * of the request.
     */
    public void handle(ChannelHandlerContext ctx, FullHttpRequest request, Consumer<FullHttpResponse> reply) {
        ByteBufAllocator alloc = ctx.alloc();
        if (!token.allows(request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
            request.release();
            reply.accept(ErrorResponses.error(alloc, HttpResponseStatus.UNAUTHORIZED, "auth_error", "Unauthorized"));
            return;
        }
        if (target.isEmpty()) {
            request.release();
            reply.accept(ErrorResponses.error(alloc, HttpResponseStatus.SERVICE_UNAVAILABLE, "api_error",
                    "Admin API not configured at this edge (METERING_ADMIN_URL)"));
            return;
        }
        URI t = target.get();
        DefaultFullHttpRequest out = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(),
                request.uri(), request.content().retain());
        out.headers().set(HttpHeaderNames.HOST, t.getHost() + ":" + port(t));
        out.headers().set(HttpHeaderNames.AUTHORIZATION, request.headers().get(HttpHeaderNames.AUTHORIZATION));
        if (request.headers().contains(HttpHeaderNames.CONTENT_TYPE)) {
            out.headers().set(HttpHeaderNames.CONTENT_TYPE, request.headers().get(HttpHeaderNames.CONTENT_TYPE));
        }
        out.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, out.content().readableBytes());
        out.headers().set(HttpHeaderNames.CONNECTION, "close");
        request.release();

        Answer answer = new Answer(reply, alloc);
        ChannelFuture connect = new Bootstrap().group(ctx.channel().eventLoop()).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS),
                                new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE), answer);
                    }
                }).connect(t.getHost(), port(t));
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                out.release();
                answer.fail(HttpResponseStatus.BAD_GATEWAY, "Admin API unreachable");
                return;
            }
            Channel ch = connect.channel();
            ch.writeAndFlush(out);
        });
    }

    private static int port(URI u) {
        return u.getPort() > 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
    }

    /** Delivers the consumer's answer, or a 502/504, exactly once. */
    private static final class Answer extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final Consumer<FullHttpResponse> reply;
        private final ByteBufAllocator alloc;
        private boolean answered;

        Answer(Consumer<FullHttpResponse> reply, ByteBufAllocator alloc) {
            this.reply = reply;
            this.alloc = alloc;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            if (answered) {
                return;
            }
            answered = true;
            FullHttpResponse copy = res.replace(res.content().retain());
            copy.headers().remove(HttpHeaderNames.CONNECTION);
            reply.accept(copy);
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
            fail(cause instanceof io.netty.handler.timeout.ReadTimeoutException
                    ? HttpResponseStatus.GATEWAY_TIMEOUT : HttpResponseStatus.BAD_GATEWAY, "Admin API failed");
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(HttpResponseStatus.BAD_GATEWAY, "Admin API closed the connection");
        }

        void fail(HttpResponseStatus status, String message) {
            if (answered) {
                return;
            }
            answered = true;
            reply.accept(ErrorResponses.error(alloc, status, status.code() == 504 ? "timeout_error" : "api_error", message));
        }
    }
}
