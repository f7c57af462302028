package dev.metering.bench;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
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
 * An open-loop load generator: requests are due at a fixed rate whatever the server does, and each
 * latency is measured from when the request was due, not from when it could be sent, so a stall
 * shows up in the tail instead of being hidden (coordinated omission corrected). Keep-alive
 * connections are opened as needed, up to a bound; requests wait for a free one in order.
 */
final class OpenLoopLoad {
    private static final AttributeKey<Long> DUE = AttributeKey.valueOf("due");

    /** Latencies in microseconds, and counts. */
    record Result(Histogram latencyMicros, long ok, long errors, int connections) {
    }

    private OpenLoopLoad() {
    }

    static Result run(URI target, String path, byte[] body, Map<String, String> headers, int rate, long durationMillis,
            int maxConnections) throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Recorder recorder = new Recorder(3);
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicInteger open = new AtomicInteger();
        AtomicLong outstanding = new AtomicLong();
        ConcurrentLinkedQueue<Channel> idle = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> waiting = new ConcurrentLinkedQueue<>();
        String host = target.getHost() + ":" + target.getPort();

        Runnable[] dispatch = new Runnable[1];
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                                new SimpleChannelInboundHandler<FullHttpResponse>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
                                        long due = ctx.channel().attr(DUE).getAndSet(null);
                                        recorder.recordValue(Math.max(1, (System.nanoTime() - due) / 1000));
                                        (res.status().code() == 200 ? ok : errors).incrementAndGet();
                                        outstanding.decrementAndGet();
                                        idle.add(ctx.channel());
                                        dispatch[0].run();
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        ctx.close();
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        open.decrementAndGet();
                                        idle.remove(ctx.channel());
                                        if (ctx.channel().attr(DUE).getAndSet(null) != null) {
                                            errors.incrementAndGet();
                                            outstanding.decrementAndGet();
                                        }
                                    }
                                });
                    }
                });

        // Runs on the generator's single event loop: no locks needed around the two queues.
        dispatch[0] = () -> {
            while (!waiting.isEmpty()) {
                Channel ch = idle.poll();
                while (ch != null && !ch.isActive()) {
                    ch = idle.poll();
                }
                if (ch == null) {
                    if (open.get() < maxConnections) {
                        open.incrementAndGet();
                        b.connect(target.getHost(), target.getPort()).addListener(f -> {
                            if (f.isSuccess()) {
                                idle.add(((io.netty.channel.ChannelFuture) f).channel());
                            } else {
                                open.decrementAndGet();
                            }
                            dispatch[0].run();
                        });
                    }
                    return;
                }
                long dueAt = waiting.poll();
                ch.attr(DUE).set(dueAt);
                FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                        Unpooled.wrappedBuffer(body));
                req.headers().set(HttpHeaderNames.HOST, host);
                req.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
                headers.forEach((k, v) -> req.headers().set(k, v));
                ch.writeAndFlush(req);
            }
        };

        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime();
        long end = start + TimeUnit.MILLISECONDS.toNanos(durationMillis);
        recorder.reset();
        long due = start;
        while (due < end) {
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            waiting.add(due);
            outstanding.incrementAndGet();
            group.next().execute(dispatch[0]);
            due += interval;
        }
        long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (outstanding.get() > 0 && System.nanoTime() < drainUntil) {
            Thread.sleep(5);
        }
        errors.addAndGet(Math.max(0, outstanding.get())); // never answered
        Histogram h = recorder.getIntervalHistogram();
        int connections = open.get();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        return new Result(h, ok.get(), errors.get(), connections);
    }
}
