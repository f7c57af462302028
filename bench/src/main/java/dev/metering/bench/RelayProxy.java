package dev.metering.bench;

import java.net.URI;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;

/**
 * The baseline for what any HTTP proxy in front of the upstream costs on this machine: a relay that
 * does nothing but pass requests and responses through, built as the edge is (Netty, the same
 * number of event loops, each client connection with a keep-alive upstream connection on its own
 * event loop, responses relayed piece by piece as they arrive), without authentication, quotas,
 * usage parsing, spooling or Kafka. Run as a process of its own:
 * {@code java -cp bench.jar dev.metering.bench.RelayProxy PORT UPSTREAM_URL}.
 */
public final class RelayProxy {
    private RelayProxy() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: RelayProxy PORT UPSTREAM_URL");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        URI upstream = URI.create(args[1]);
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        Channel listener = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new ClientSide(upstream));
                    }
                }).bind("127.0.0.1", port).sync().channel();
        listener.closeFuture().sync();
    }

    /** One client connection: its requests go out on its own upstream connection, one at a time. */
    private static final class ClientSide extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final URI upstream;
        private ChannelFuture upstreamChannel;

        ClientSide(URI upstream) {
            super(false);
            this.upstream = upstream;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            upstreamChannel = new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new UpstreamSide(client));
                        }
                    }).connect(upstream.getHost(), upstream.getPort());
            ctx.fireChannelActive();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            request.headers().set(HttpHeaderNames.HOST, upstream.getHost() + ":" + upstream.getPort());
            upstreamChannel.addListener(f -> {
                if (f.isSuccess()) {
                    upstreamChannel.channel().writeAndFlush(request);
                } else {
                    request.release();
                    ctx.close();
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            upstreamChannel.channel().close();
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** The upstream connection of one client connection: every piece of a response goes back, flushed at the end of each read. */
    private static final class UpstreamSide extends ChannelInboundHandlerAdapter {
        private final Channel client;

        UpstreamSide(Channel client) {
            this.client = client;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpObject && client.isActive()) {
                client.write(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        /** What one read brought leaves in one write, as the edge does. */
        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            client.flush();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            client.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
