package dev.metering.edge.http;

import java.time.Duration;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;

/** The client connection's pipeline, built in one place. */
final class EdgeInitializer extends ChannelInitializer<SocketChannel> {
    private static final int MAX_INITIAL_LINE = 16 * 1024;

    private final EdgeRoutes routes;
    private final ChannelGroup clients;
    private final int maxHeaderBytes;
    private final int maxBodyBytes;
    private final Duration clientIdleTimeout;

    EdgeInitializer(EdgeRoutes routes, ChannelGroup clients, int maxHeaderBytes, int maxBodyBytes,
            Duration clientIdleTimeout) {
        this.routes = routes;
        this.clients = clients;
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxBodyBytes = maxBodyBytes;
        this.clientIdleTimeout = clientIdleTimeout;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        clients.add(ch);
        SlowRequestGuard guard = new SlowRequestGuard(clientIdleTimeout);
        ch.pipeline().addLast("guard", guard);
        ch.pipeline().addLast("codec", new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                .setMaxHeaderSize(maxHeaderBytes)
                .setMaxChunkSize(64 * 1024)
                .setValidateHeaders(true)));
        ch.pipeline().addLast("aggregator", new EdgeAggregator(maxBodyBytes));
        ch.pipeline().addLast("router", new RequestRouter(routes, guard));
    }
}
