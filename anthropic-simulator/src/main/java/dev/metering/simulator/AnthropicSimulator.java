package dev.metering.simulator;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * A simulated Anthropic Messages API server, answering {@code /v1/messages} with JSON and server-sent
 * events shaped like the real API, so the edge proxy can be tested and run offline. Tests steer it with
 * faults and held streams, and read back every exchange byte for byte.
 */
public final class AnthropicSimulator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AnthropicSimulator.class);
    /** Largest request body accepted, as the real API's limit is in this order. */
    static final int MAX_REQUEST_BYTES = 32 * 1024 * 1024;
    private static final int THREADS = 2;
    private static final long SHUTDOWN_TIMEOUT_SECONDS = 5;

    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final SimulatorState state;
    private final URI baseUrl;
    private final int port;
    private final AtomicBoolean closed = new AtomicBoolean();

    private AnthropicSimulator(EventLoopGroup group, Channel serverChannel, SimulatorState state) {
        this.group = group;
        this.serverChannel = serverChannel;
        this.state = state;
        InetSocketAddress address = (InetSocketAddress) serverChannel.localAddress();
        this.port = address.getPort();
        String host = address.getAddress().getHostAddress();
        this.baseUrl = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
    }

    /**
     * Binds and starts serving.
     *
     * @throws IllegalStateException if the address cannot be bound
     */
    public static AnthropicSimulator start(SimulatorOptions options) {
        Objects.requireNonNull(options, "options");
        SimulatorState state = new SimulatorState();
        MessagesRoute messages = new MessagesRoute(options, state);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(THREADS,
                new DefaultThreadFactory("anthropic-simulator", true), NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_REQUEST_BYTES),
                                new SimulatorHandler(messages));
                    }
                });
        try {
            Channel channel = bootstrap.bind(options.host(), options.port()).sync().channel();
            AnthropicSimulator simulator = new AnthropicSimulator(group, channel, state);
            LOG.info("Anthropic simulator listening on {}", simulator.baseUrl);
            return simulator;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            throw new IllegalStateException("interrupted while binding " + options.host() + ":" + options.port(), e);
        } catch (Exception e) {
            group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS).awaitUninterruptibly();
            throw new IllegalStateException("cannot bind the simulator to " + options.host() + ":" + options.port()
                    + ": " + e.getMessage(), e);
        }
    }

    /** Where it listens, such as {@code http://127.0.0.1:41234}. */
    public URI baseUrl() {
        return baseUrl;
    }

    public int port() {
        return port;
    }

    /**
     * Queues a fault for the next {@code POST /v1/messages} request that arrives and takes no queued fault
     * yet; faults are taken in the order queued, one per request.
     */
    public void enqueueFault(Fault fault) {
        state.enqueueFault(Objects.requireNonNull(fault, "fault"));
    }

    /**
     * While set, every streaming response that writes its first event ({@code message_start}) pauses right
     * after it until {@code release} completes (normally or not). {@code null} stops holding new streams;
     * streams already paused still wait for their release.
     */
    public void holdStreams(CompletableFuture<Void> release) {
        state.hold(release);
    }

    /** Snapshots of every {@code /v1/messages} exchange so far, in arrival order. */
    public List<Exchange> exchanges() {
        return state.exchanges();
    }

    /** How many {@code /v1/messages} requests arrived so far (the size of {@link #exchanges()}). */
    public int requestCount() {
        return state.requestCount();
    }

    /** Stops listening, closes every connection and waits for the threads to end; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            serverChannel.close().awaitUninterruptibly(SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            LOG.debug("Anthropic simulator on {} stopping", baseUrl);
        }
        group.terminationFuture().awaitUninterruptibly(2 * SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
