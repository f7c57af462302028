package dev.metering.edge.upstream;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

import dev.metering.edge.usage.UsageCaptureHandler;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.ChannelPool;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.Future;

/**
 * Keep-alive connections to the one configured upstream, pooled per event loop: a call borrows a
 * connection that lives on its own client connection's event loop, so the two sides of a call
 * share a thread and need no locks. {@code https} upstreams use TLS with the JDK trust store and
 * host name verification. Reads are manual (auto-read off): the call asks for the next piece only
 * when its client can take it.
 */
public final class UpstreamClient implements AutoCloseable {
    private final URI base;
    private final String host;
    private final int port;
    private final SslContext ssl;
    private final Duration connectTimeout;
    private final int maxConnectionsPerLoop;
    private final Map<EventLoop, ChannelPool> pools = new ConcurrentHashMap<>();
    /** Asynchronous DNS: the JDK's resolver would block an event loop on every cache miss. */
    private final DnsAddressResolverGroup resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
            .datagramChannelType(NioDatagramChannel.class).socketChannelType(NioSocketChannel.class));

    public UpstreamClient(URI base, Duration connectTimeout, int maxConnectionsPerLoop) {
        this.base = base;
        this.host = base.getHost();
        boolean tls = "https".equals(base.getScheme());
        this.port = base.getPort() > 0 ? base.getPort() : tls ? 443 : 80;
        this.connectTimeout = connectTimeout;
        this.maxConnectionsPerLoop = maxConnectionsPerLoop;
        try {
            this.ssl = tls ? SslContextBuilder.forClient().build() : null;
        } catch (SSLException e) {
            throw new IllegalStateException("TLS client context could not be built", e);
        }
    }

    /** The {@code Host} header for upstream requests. */
    public String hostHeader() {
        boolean defaultPort = base.getPort() < 0;
        return defaultPort ? host : host + ":" + port;
    }

    /** The upstream's base path, without a trailing slash ({@code ""} for none). */
    public String basePath() {
        String p = base.getRawPath();
        if (p == null || p.equals("/")) {
            return "";
        }
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    /** Borrows a connection on {@code loop}; fails when none can be made in time. */
    public Future<Channel> acquire(EventLoop loop) {
        return pools.computeIfAbsent(loop, this::newPool).acquire();
    }

    /** Binds a borrowed connection to the call that will read from it. */
    public static void bind(Channel ch, UpstreamListener listener) {
        ch.pipeline().get(UsageCaptureHandler.class).reset();
        ch.pipeline().get(UpstreamHandler.class).bind(listener);
    }

    /** The usage seen on a borrowed connection's current response. */
    public static UsageCaptureHandler usageOf(Channel ch) {
        return ch.pipeline().get(UsageCaptureHandler.class);
    }

    /** Returns a connection whose response ended cleanly, for the next call. */
    public void release(Channel ch) {
        ch.pipeline().get(UpstreamHandler.class).unbind();
        ChannelPool pool = pools.get((EventLoop) ch.eventLoop());
        if (pool != null) {
            // Keep a read pending while idle: an upstream that closes the connection (or sends
            // anything unasked) is noticed now, not by the next call.
            ch.read();
            pool.release(ch);
        } else {
            ch.close();
        }
    }

    /** Closes a connection that cannot be reused (a broken or abandoned response) and frees its slot. */
    public void discard(Channel ch) {
        ch.pipeline().get(UpstreamHandler.class).unbind();
        ch.close();
        ChannelPool pool = pools.get((EventLoop) ch.eventLoop());
        if (pool != null) {
            pool.release(ch);
        }
    }

    private ChannelPool newPool(EventLoop loop) {
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .resolver(resolver)
                .remoteAddress(InetSocketAddress.createUnresolved(host, port))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
        return new FixedChannelPool(b, new AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(Channel ch) {
                if (ssl != null) {
                    SSLEngine engine = ssl.newEngine(ch.alloc(), host, port);
                    SSLParameters params = engine.getSSLParameters();
                    params.setEndpointIdentificationAlgorithm("HTTPS");
                    engine.setSSLParameters(params);
                    ch.pipeline().addLast(new SslHandler(engine));
                }
                ch.pipeline().addLast(new HttpClientCodec(4096, 64 * 1024, 64 * 1024), new UsageCaptureHandler(),
                        new UpstreamHandler());
            }
        }, ChannelHealthChecker.ACTIVE, FixedChannelPool.AcquireTimeoutAction.FAIL, connectTimeout.toMillis(),
                maxConnectionsPerLoop, 10_000, true, true);
    }

    @Override
    public void close() {
        pools.values().forEach(ChannelPool::close);
        pools.clear();
        resolver.close();
    }
}
