package dev.metering.edge.http;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.handler.timeout.ReadTimeoutHandler;

/**
 * One request to a plain-HTTP service on a fresh connection, answered through a callback on the
 * caller's event loop: the service's response, or 502 when it cannot be reached or breaks off,
 * 504 when it does not answer in time, 502 when its answer is larger than allowed. For low-volume
 * calls (admin forwarding, message relay), where pooling is not worth its state.
 */
public final class OneShotClient {
    private OneShotClient() {
    }

    /** Sends {@code request} (taking ownership) to {@code target}; {@code reply} is called exactly once. */
    public static void send(EventLoop loop, ByteBufAllocator alloc, URI target, FullHttpRequest request,
            Duration timeout, int maxResponseBytes, Consumer<FullHttpResponse> reply) {
        int port = target.getPort() > 0 ? target.getPort() : 80;
        request.headers().set(HttpHeaderNames.HOST, target.getHost() + ":" + port);
        request.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, request.content().readableBytes());
        request.headers().set(HttpHeaderNames.CONNECTION, "close");
        Answer answer = new Answer(reply, alloc);
        ChannelFuture connect = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), 10_000))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(timeout.toMillis(), TimeUnit.MILLISECONDS),
                                new HttpClientCodec(), new HttpObjectAggregator(maxResponseBytes), answer);
                    }
                }).connect(target.getHost(), port);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                request.release();
                answer.fail(HttpResponseStatus.BAD_GATEWAY, "Target unreachable");
                return;
            }
            connect.channel().writeAndFlush(request);
        });
    }

    /** Delivers the answer, or a 502/504, exactly once. */
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
            if (res.decoderResult().isFailure()) {
                ctx.close();
                fail(HttpResponseStatus.BAD_GATEWAY, "Target sent a malformed response");
                return;
            }
            answered = true;
            FullHttpResponse copy = res.replace(res.content().retain());
            copy.headers().remove(HttpHeaderNames.CONNECTION);
            copy.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            copy.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, copy.content().readableBytes());
            reply.accept(copy);
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
            if (cause instanceof ReadTimeoutException) {
                fail(HttpResponseStatus.GATEWAY_TIMEOUT, "Target timed out");
            } else if (cause instanceof TooLongFrameException) {
                fail(HttpResponseStatus.BAD_GATEWAY, "Target response too large");
            } else {
                fail(HttpResponseStatus.BAD_GATEWAY, "Target failed");
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(HttpResponseStatus.BAD_GATEWAY, "Target closed the connection");
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
