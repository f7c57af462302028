package dev.metering.consumer.admin;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import dev.metering.consumer.db.QuotaStore;
import dev.metering.consumer.db.UsageQueries;
import dev.metering.model.key.AdminToken;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.GlobalEventExecutor;

/** The consumer's HTTP server for the admin API, health and metrics. */
public final class AdminServer implements AutoCloseable {
    private static final int MAX_BODY = 64 * 1024;

    private final EventLoopGroup loops;
    private final EventExecutorGroup blocking;
    private final Channel listener;
    private final ChannelGroup connections;

    private AdminServer(EventLoopGroup loops, EventExecutorGroup blocking, Channel listener, ChannelGroup connections) {
        this.loops = loops;
        this.blocking = blocking;
        this.listener = listener;
        this.connections = connections;
    }

    public static AdminServer start(int port, AdminToken token, UsageQueries usage, QuotaStore quotas,
            Consumer<String> quotaChanged, PrometheusMeterRegistry registry, BooleanSupplier healthy) {
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventExecutorGroup blocking = new DefaultEventExecutorGroup(4);
        AdminHandler handler = new AdminHandler(token, usage, quotas, quotaChanged, registry, healthy);
        ChannelGroup connections = new DefaultChannelGroup("admin-connections", GlobalEventExecutor.INSTANCE);
        try {
            Channel ch = new ServerBootstrap().group(loops).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            connections.add(c);
                            c.pipeline().addLast(new ReadTimeoutHandler(60), new HttpServerCodec(),
                                    new HttpObjectAggregator(MAX_BODY));
                            c.pipeline().addLast(blocking, handler);
                        }
                    }).bind(port).sync().channel();
            return new AdminServer(loops, blocking, ch, connections);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted binding the admin port " + port, e);
        } catch (RuntimeException e) {
            loops.shutdownGracefully();
            blocking.shutdownGracefully();
            throw new IllegalStateException("admin API cannot listen on port " + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        // Close connections while both executors still run: a pipeline spans the two.
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        blocking.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
