package dev.metering.edge.proxy;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.metering.edge.auth.AuthResult;
import dev.metering.edge.http.ErrorResponses;
import dev.metering.edge.upstream.UpstreamClient;
import dev.metering.edge.upstream.UpstreamListener;
import dev.metering.edge.usage.CapturedUsage;
import dev.metering.model.event.Outcome;
import dev.metering.model.event.UsageEvent;
import dev.metering.quota.Reservation;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * One proxied call, from the client's request to the last byte of the response. Both of its
 * connections live on one event loop, so its state needs no locks.
 *
 * <p>The response is relayed piece by piece as it arrives, reading the next piece from the
 * upstream only when the client can take more. The last byte is held back until the call's usage
 * event is in the spool: once a client has seen a complete response, the call is metered, even
 * if the edge is killed the next instant.
 */
public final class ProxyCall implements UpstreamListener {
    private static final Logger log = LoggerFactory.getLogger(ProxyCall.class);
    private static final String DEFAULT_ANTHROPIC_VERSION = "2023-06-01";

    /** Where a call is in its life. */
    private enum Phase { CONNECTING, AWAITING_HEAD, RELAYING, FINISHING, DONE }

    private final ProxyContext deps;
    private final ChannelHandlerContext client;
    private final FullHttpRequest request;
    private final AuthResult.Allowed auth;
    private final CallIdentity who;
    private final RequestFacts facts;
    private final boolean keepAlive;
    private final long receivedNanos;
    private final Instant startedAt;
    private final Runnable onDone;
    private final Reservation reservation;

    private Phase phase = Phase.CONNECTING;
    private Channel upstream;
    private ScheduledFuture<?> timer;
    private long lastUpstreamActivity;
    private long edgeNanos;
    private long upstreamEndNanos;
    private int status;
    private boolean streamResponse;
    private long expectedLength = -1;
    private long relayed;
    private ByteBuf heldBack;
    private HttpResponse heldHead;
    private boolean upstreamReusable;
    private boolean readPending;
    /** Pieces written to the client since the last flush: flushed once per upstream read. */
    private boolean unflushed;

    ProxyCall(ProxyContext deps, ChannelHandlerContext client, FullHttpRequest request, AuthResult.Allowed auth,
            RequestFacts facts, boolean keepAlive, long receivedNanos, Reservation reservation, Runnable onDone) {
        this.deps = deps;
        this.client = client;
        this.request = request;
        this.auth = auth;
        this.who = new CallIdentity(auth.userId(), CallIdentity.sessionFrom(request.headers().get("x-matrix-session")));
        this.facts = facts;
        this.keepAlive = keepAlive;
        this.receivedNanos = receivedNanos;
        this.startedAt = UsageEvent.occurredNow();
        this.onDone = onDone;
        this.reservation = reservation;
        this.streamResponse = facts.stream();
    }

    /** Borrows an upstream connection and sends the request. Takes ownership of the request. */
    void start() {
        Future<Channel> acquired = deps.upstream().acquire(client.channel().eventLoop());
        acquired.addListener(f -> {
            if (!f.isSuccess()) {
                failBeforeHead(HttpResponseStatus.BAD_GATEWAY, "api_error", "Upstream unreachable",
                        Outcome.UPSTREAM_UNREACHABLE, f.cause());
                return;
            }
            Channel ch = acquired.getNow();
            if (phase == Phase.DONE) {
                deps.upstream().release(ch); // the client left while we connected: nothing was sent
                return;
            }
            upstream = ch;
            UpstreamClient.bind(ch, this);
            send();
        });
    }

    private void send() {
        DefaultFullHttpRequest out = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(),
                deps.upstream().basePath() + request.uri(), request.content().retainedDuplicate());
        HttpHeaders in = request.headers();
        HttpHeaders h = out.headers();
        h.set(HttpHeaderNames.HOST, deps.upstream().hostHeader());
        copy(in, h, HttpHeaderNames.CONTENT_TYPE.toString());
        copy(in, h, "anthropic-beta");
        h.set("anthropic-version", in.get("anthropic-version", DEFAULT_ANTHROPIC_VERSION));
        h.set(auth.upstreamHeader(), auth.upstreamValue());
        h.setInt(HttpHeaderNames.CONTENT_LENGTH, out.content().readableBytes());
        h.set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
        phase = Phase.AWAITING_HEAD;
        edgeNanos += System.nanoTime() - receivedNanos;
        lastUpstreamActivity = System.nanoTime();
        scheduleTimeout(deps.responseTimeout().toNanos());
        upstream.writeAndFlush(out).addListener(f -> {
            if (!f.isSuccess()) {
                onUpstreamError(f.cause());
            } else if (phase == Phase.AWAITING_HEAD) {
                upstream.read();
            }
        });
    }

    private static void copy(HttpHeaders from, HttpHeaders to, String name) {
        String v = from.get(name);
        if (v != null) {
            to.set(name, v);
        }
    }

    // --- upstream side -------------------------------------------------------------------------

    @Override
    public void onUpstreamMessage(HttpObject msg) {
        lastUpstreamActivity = System.nanoTime();
        if (phase != Phase.AWAITING_HEAD && phase != Phase.RELAYING) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg.decoderResult().isFailure()) {
            Throwable cause = msg.decoderResult().cause();
            ReferenceCountUtil.release(msg);
            onUpstreamError(new java.io.IOException("malformed upstream response", cause));
            return;
        }
        if (msg instanceof HttpResponse interim && phase == Phase.AWAITING_HEAD
                && interim.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
            ReferenceCountUtil.release(msg); // 1xx: the real head follows
            return;
        }
        if (msg instanceof HttpResponse head) {
            onHead(head);
        }
        if (msg instanceof HttpContent content) {
            if (phase != Phase.RELAYING) {
                content.release();
                return;
            }
            if (content instanceof LastHttpContent last) {
                onLast(last);
            } else {
                relay(content.content());
            }
        }
    }

    private void onHead(HttpResponse head) {
        phase = Phase.RELAYING;
        status = head.status().code();
        upstreamReusable = HttpUtil.isKeepAlive(head);
        String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE);
        streamResponse = type != null && type.regionMatches(true, 0, "text/event-stream", 0, 17);
        DefaultHttpResponse out = new DefaultHttpResponse(HttpVersion.HTTP_1_1, head.status());
        HopByHop.copyEndToEnd(head.headers(), out.headers());
        boolean noBody = request.method().equals(io.netty.handler.codec.http.HttpMethod.HEAD) || status == 204
                || status == 304;
        expectedLength = noBody ? 0 : HttpUtil.getContentLength(head, -1L);
        if (expectedLength < 0) {
            out.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
            HttpUtil.setTransferEncodingChunked(out, true);
        }
        setConnection(out);
        if (expectedLength == 0) {
            heldHead = out; // nothing follows the head: the head itself is the last byte
        } else {
            writeToClient(out);
        }
    }

    private void relay(ByteBuf data) {
        int n = data.readableBytes();
        if (expectedLength > 0 && relayed + n >= expectedLength && n > 0) {
            // The final bytes of a sized body: keep the very last one until the event is spooled.
            heldBack = append(heldBack, data.retainedSlice(data.readerIndex() + n - 1, 1));
            ByteBuf rest = data.retainedSlice(data.readerIndex(), n - 1);
            data.release();
            data = rest;
            n -= 1;
        }
        relayed += n;
        if (n == 0) {
            data.release();
            return;
        }
        writeToClient(new DefaultHttpContent(data));
    }

    /**
     * Writes a piece of the response without flushing it: everything one upstream read brought
     * (for a small response its head, its body and its end) leaves in one write to the socket, at
     * the end of that read, instead of one per piece.
     */
    private void writeToClient(HttpObject piece) {
        client.write(piece).addListener(this::onClientWrite);
        unflushed = true;
    }

    private void flushClient() {
        if (unflushed) {
            unflushed = false;
            client.flush();
        }
    }

    private static ByteBuf append(ByteBuf held, ByteBuf more) {
        return held == null ? more : Unpooled.wrappedBuffer(held, more);
    }

    @Override
    public void onUpstreamReadComplete() {
        flushClient();
        if (phase == Phase.AWAITING_HEAD || phase == Phase.RELAYING) {
            if (client.channel().isWritable()) {
                upstream.read();
            } else {
                readPending = true; // resumed by clientWritable()
            }
        }
    }

    /** Whether the call is over. */
    public boolean done() {
        return phase == Phase.DONE;
    }

    /** The client drained its buffer: resume reading the upstream if we held off. */
    public void clientWritable() {
        if (readPending && client.channel().isWritable() && upstream != null
                && (phase == Phase.AWAITING_HEAD || phase == Phase.RELAYING)) {
            readPending = false;
            upstream.read();
        }
    }

    private void onLast(LastHttpContent last) {
        upstreamEndNanos = System.nanoTime();
        phase = Phase.FINISHING;
        cancelTimer();
        ByteBuf tail = append(heldBack, last.content().retain());
        heldBack = null;
        last.release();
        CapturedUsage usage = UpstreamClient.usageOf(upstream).usage();
        if (upstreamReusable) {
            deps.upstream().release(upstream);
        } else {
            deps.upstream().discard(upstream);
        }
        upstream = null;
        Outcome outcome = status >= 400 ? Outcome.UPSTREAM_ERROR : Outcome.COMPLETED;
        if (!deps.recorder().record(reservation, who, startedAt, elapsedMs(), status, streamResponse, usage,
                facts.model(), outcome)) {
            tail.release();
            abortClient(); // cut off, so that the response does not complete unmetered
            return;
        }
        writeFinal(tail);
    }

    private void writeFinal(ByteBuf tail) {
        long spooledNanos = System.nanoTime(); // the event is spooled
        if (heldHead != null) {
            client.write(heldHead);
            heldHead = null;
        }
        unflushed = false; // flushed with the last piece
        client.writeAndFlush(new DefaultLastHttpContent(tail)).addListener((ChannelFutureListener) f -> {
            deps.metrics().overhead(edgeNanos, spooledNanos - upstreamEndNanos, System.nanoTime() - spooledNanos);
            finishConnection(f.isSuccess());
        });
    }

    @Override
    public void onUpstreamClosed() {
        if (phase == Phase.AWAITING_HEAD || phase == Phase.RELAYING) {
            onUpstreamError(new java.io.IOException("upstream closed the connection"));
        }
    }

    @Override
    public void onUpstreamError(Throwable cause) {
        if (phase == Phase.CONNECTING || phase == Phase.AWAITING_HEAD) {
            failBeforeHead(HttpResponseStatus.BAD_GATEWAY, "api_error", "Upstream connection failed",
                    Outcome.UPSTREAM_UNREACHABLE, cause);
        } else if (phase == Phase.RELAYING) {
            breakMidResponse(Outcome.UPSTREAM_UNREACHABLE, cause);
        }
    }

    private void scheduleTimeout(long nanos) {
        timer = client.executor().schedule(this::checkTimeout, nanos, TimeUnit.NANOSECONDS);
    }

    private void checkTimeout() {
        if (phase != Phase.AWAITING_HEAD && phase != Phase.RELAYING) {
            return;
        }
        long idle = System.nanoTime() - lastUpstreamActivity;
        long limit = deps.responseTimeout().toNanos();
        if (idle < limit) {
            scheduleTimeout(limit - idle);
            return;
        }
        java.util.concurrent.TimeoutException cause = new java.util.concurrent.TimeoutException(
                "no upstream response for " + Duration.ofNanos(idle).toMillis() + " ms");
        if (phase == Phase.AWAITING_HEAD) {
            failBeforeHead(HttpResponseStatus.GATEWAY_TIMEOUT, "timeout_error", "Upstream timed out",
                    Outcome.UPSTREAM_TIMEOUT, cause);
        } else {
            breakMidResponse(Outcome.UPSTREAM_TIMEOUT, cause);
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** The upstream failed before answering: answer 502 or 504 ourselves, metered like any call. */
    private void failBeforeHead(HttpResponseStatus st, String type, String message, Outcome outcome, Throwable cause) {
        if (phase == Phase.DONE || phase == Phase.FINISHING) {
            return;
        }
        log.debug("upstream failure for {}: {}", who.userId(), cause == null ? "" : cause.toString());
        phase = Phase.FINISHING;
        cancelTimer();
        dropUpstream();
        status = st.code();
        upstreamEndNanos = System.nanoTime();
        if (!deps.recorder().record(reservation, who, startedAt, elapsedMs(), status, streamResponse,
                new CapturedUsage(), facts.model(), outcome)) {
            abortClient(); // no complete response without its event, the edge's own ones included
            return;
        }
        var res = ErrorResponses.error(client.alloc(), st, type, message);
        setConnection(res);
        client.writeAndFlush(res).addListener((ChannelFutureListener) f -> finishConnection(f.isSuccess()));
    }

    /** The upstream broke off mid-response: meter what was seen and cut the client off too. */
    private void breakMidResponse(Outcome outcome, Throwable cause) {
        log.debug("upstream broke off a response for {}: {}", who.userId(), cause.toString());
        phase = Phase.FINISHING;
        cancelTimer();
        CapturedUsage usage = usageSoFar();
        dropUpstream();
        deps.recorder().record(reservation, who, startedAt, elapsedMs(), status, streamResponse, usage, facts.model(), outcome);
        abortClient();
    }

    // --- client side ---------------------------------------------------------------------------

    private void onClientWrite(Future<? super Void> f) {
        if (!f.isSuccess()) {
            clientGone();
        }
    }

    /** The client went away (a failed write, or its connection closed). */
    public void clientGone() {
        if (phase == Phase.DONE || phase == Phase.FINISHING) {
            return; // already metered, or being metered: only the final write will fail
        }
        boolean reachedUpstream = phase != Phase.CONNECTING;
        phase = Phase.FINISHING;
        cancelTimer();
        CapturedUsage usage = reachedUpstream && upstream != null ? usageSoFar() : new CapturedUsage();
        dropUpstream();
        if (reachedUpstream) {
            deps.recorder().record(reservation, who, startedAt, elapsedMs(), status == 0 ? 499 : status, streamResponse, usage,
                    facts.model(), Outcome.CLIENT_DISCONNECTED);
        }
        complete();
    }

    private CapturedUsage usageSoFar() {
        if (upstream == null) {
            return new CapturedUsage();
        }
        var capture = UpstreamClient.usageOf(upstream);
        capture.finish();
        return capture.usage();
    }

    private void dropUpstream() {
        if (upstream != null) {
            deps.upstream().discard(upstream);
            upstream = null;
        }
        if (heldBack != null) {
            heldBack.release();
            heldBack = null;
        }
        if (heldHead != null) {
            ReferenceCountUtil.release(heldHead);
            heldHead = null;
        }
    }

    private void abortClient() {
        flushClient(); // what was relayed still reaches the client, as it would have piece by piece
        client.close();
        complete();
    }

    /** The response is out: keep the connection for the next request, or close it. */
    private void finishConnection(boolean written) {
        if (!(written && keepAlive && !deps.draining())) {
            client.close();
        }
        complete(); // the router reads the next request if the connection is still open
    }

    private void complete() {
        if (phase == Phase.DONE) {
            return;
        }
        phase = Phase.DONE;
        cancelTimer();
        dropUpstream();
        request.release();
        deps.quota().release(reservation); // no-op when the call's cost already settled it
        onDone.run();
    }

    private void setConnection(HttpResponse res) {
        if (keepAlive && !deps.draining()) {
            HttpUtil.setKeepAlive(res, true);
        } else {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
    }

    private long elapsedMs() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - receivedNanos);
    }
}
