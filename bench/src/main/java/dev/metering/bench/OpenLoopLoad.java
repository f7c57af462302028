package dev.metering.bench;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;

/**
 * An open-loop load generator for one target: requests are due at a fixed rate whatever the server
 * does, and each latency is measured from when the request was due, not from when it could be
 * sent, so a stall shows up in the tail instead of being hidden (coordinated omission corrected).
 * Keep-alive connections are opened as needed, up to a bound, and kept between runs, so one target
 * can be measured in short slices interleaved with another; requests wait for a free connection
 * in order.
 */
final class OpenLoopLoad implements AutoCloseable {
    /** Latencies in microseconds, and counts. */
    record Result(Histogram latencyMicros, long ok, long errors) {
        static Result empty() {
            return new Result(new Histogram(3), 0, 0);
        }

        Result plus(Result other) {
            Histogram sum = latencyMicros.copy();
            sum.add(other.latencyMicros);
            return new Result(sum, ok + other.ok, errors + other.errors);
        }
    }

    /** One timed run: what its requests are recorded into. */
    private static final class Run {
        final Histogram latency = new Histogram(3);
        final AtomicLong ok = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final AtomicLong outstanding = new AtomicLong();
        final ConcurrentLinkedQueue<Long> waiting = new ConcurrentLinkedQueue<>();
    }

    /** A request on the wire: the run it belongs to and when it was due. */
    private record Pending(Run run, long due) {
    }

    private static final AttributeKey<Pending> PENDING = AttributeKey.valueOf("pending");

    private final URI target;
    private final String path;
    private final byte[] body;
    private final Map<String, String> headers;
    private final int maxConnections;
    private final String host;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Bootstrap bootstrap;
    // Connections free for a request; used from the generator's single event loop.
    private final ConcurrentLinkedQueue<Channel> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger open = new AtomicInteger();
    private volatile Run current;

    OpenLoopLoad(URI target, String path, byte[] body, Map<String, String> headers, int maxConnections) {
        this.target = target;
        this.path = path;
        this.body = body;
        this.headers = headers;
        this.maxConnections = maxConnections;
        this.host = target.getHost() + ":" + target.getPort();
        this.bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20), new Responses());
                    }
                });
    }

    /**
     * Sends {@code rate} requests a second for {@code durationMillis}, then waits (at most 30 s)
     * for the answers. Requests never answered count as errors.
     */
    Result run(int rate, long durationMillis) throws InterruptedException {
        Run run = new Run();
        current = run;
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime();
        long end = start + TimeUnit.MILLISECONDS.toNanos(durationMillis);
        for (long due = start; due < end; due += interval) {
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            run.waiting.add(due);
            run.outstanding.incrementAndGet();
            group.next().execute(this::dispatch);
        }
        long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (run.outstanding.get() > 0 && System.nanoTime() < drainUntil) {
            Thread.sleep(2);
        }
        long unanswered = Math.max(0, run.outstanding.get());
        synchronized (run.latency) {
            return new Result(run.latency.copy(), run.ok.get(), run.errors.get() + unanswered);
        }
    }

    /** Sends every waiting request of the current run that a connection is free for. */
    private void dispatch() {
        Run run = current;
        while (!run.waiting.isEmpty()) {
            Channel ch = idle.poll();
            while (ch != null && !ch.isActive()) {
                ch = idle.poll();
            }
            if (ch == null) {
                if (open.get() < maxConnections) {
                    open.incrementAndGet();
                    bootstrap.connect(target.getHost(), target.getPort()).addListener(f -> {
                        if (f.isSuccess()) {
                            idle.add(((ChannelFuture) f).channel());
                        } else {
                            open.decrementAndGet();
                        }
                        dispatch();
                    });
                }
                return;
            }
            ch.attr(PENDING).set(new Pending(run, run.waiting.poll()));
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                    Unpooled.wrappedBuffer(body));
            req.headers().set(HttpHeaderNames.HOST, host);
            req.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            headers.forEach((k, v) -> req.headers().set(k, v));
            ch.writeAndFlush(req);
        }
    }

    private final class Responses extends SimpleChannelInboundHandler<FullHttpResponse> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            Pending p = ctx.channel().attr(PENDING).getAndSet(null);
            if (p != null) {
                synchronized (p.run.latency) {
                    p.run.latency.recordValue(Math.max(1, (System.nanoTime() - p.due) / 1000));
                }
                (res.status().code() == 200 ? p.run.ok : p.run.errors).incrementAndGet();
                p.run.outstanding.decrementAndGet();
                idle.add(ctx.channel()); // a response nothing waited for leaves the channel where it was
                dispatch();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.decrementAndGet();
            idle.remove(ctx.channel());
            Pending p = ctx.channel().attr(PENDING).getAndSet(null);
            if (p != null) {
                p.run.errors.incrementAndGet();
                p.run.outstanding.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
