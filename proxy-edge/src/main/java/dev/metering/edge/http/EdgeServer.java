package dev.metering.edge.http;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.metering.edge.config.EdgeConfig;
import dev.metering.edge.admin.AdminRoute;
import dev.metering.edge.instances.InstanceRoutes;
import dev.metering.edge.proxy.ProxyRoute;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;

/** The edge's Netty server: event loops, the listening socket and the open client connections. */
public final class EdgeServer {
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel listener;
    private final ChannelGroup clients;
    private final InFlightCalls inFlight;
    private final Draining draining;

    /** Set when shutdown begins: responses then close their connections instead of keeping them. */
    public static final class Draining {
        private volatile boolean on;

        public boolean get() {
            return on;
        }

        void set() {
            on = true;
        }
    }

    private EdgeServer(EventLoopGroup boss, EventLoopGroup workers, Channel listener, ChannelGroup clients,
            InFlightCalls inFlight, Draining draining) {
        this.boss = boss;
        this.workers = workers;
        this.listener = listener;
        this.clients = clients;
        this.inFlight = inFlight;
        this.draining = draining;
    }

    public static EdgeServer start(EdgeConfig config, ProxyRoute proxy, AdminRoute admin, InstanceRoutes instances,
            PrometheusMeterRegistry registry,
            Draining draining, Supplier<String> healthJson, java.util.function.BooleanSupplier ready) {
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("edge-accept"),
                NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("edge-io"),
                NioIoHandler.newFactory()); // 0: Netty's default, two per core
        ChannelGroup clients = new DefaultChannelGroup("edge-clients", GlobalEventExecutor.INSTANCE);
        InFlightCalls inFlight = new InFlightCalls();
        EdgeRoutes routes = new EdgeRoutes(proxy, admin, instances, inFlight, registry, healthJson, ready, draining::get);
        try {
            Channel listener = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new EdgeInitializer(routes, clients, config.maxHeaderBytes(), config.maxBodyBytes(),
                            config.clientIdleTimeout()))
                    .bind(config.common().proxyPort())
                    .sync()
                    .channel();
            return new EdgeServer(boss, workers, listener, clients, inFlight, draining);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            boss.shutdownGracefully();
            workers.shutdownGracefully();
            throw new IllegalStateException("interrupted while binding port " + config.common().proxyPort(), e);
        } catch (RuntimeException e) {
            boss.shutdownGracefully();
            workers.shutdownGracefully();
            throw new IllegalStateException("edge cannot listen on port " + config.common().proxyPort() + ": "
                    + e.getMessage(), e);
        }
    }

    public int port() {
        return ((java.net.InetSocketAddress) listener.localAddress()).getPort();
    }

    /** Closes the listening socket; connections already open stay. */
    public void stopAccepting() {
        draining.set();
        listener.close().syncUninterruptibly();
    }

    /**
     * Waits for calls in flight, then closes every client connection (idle keep-alive ones, and
     * calls cut off at the timeout, which are metered as disconnected).
     *
     * @return how many calls had to be cut off
     */
    public int drain(Duration timeout) {
        int left;
        try {
            left = inFlight.awaitZero(timeout);
            clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            inFlight.awaitZero(Duration.ofSeconds(5)); // cut-off calls record their events
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            left = inFlight.count();
        }
        return left;
    }

    /** Stops the event loops. */
    public void close() {
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
