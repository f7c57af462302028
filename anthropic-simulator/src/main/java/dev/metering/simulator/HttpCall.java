package dev.metering.simulator;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * One request being answered on a connection. Every method runs on the channel's event loop; the
 * connection serves its next queued request once the answer is {@linkplain #complete complete}.
 */
final class HttpCall {
    private static final Logger LOG = LoggerFactory.getLogger(HttpCall.class);

    private final Channel channel;
    private final IncomingRequest request;
    private final Runnable serveNext;

    HttpCall(Channel channel, IncomingRequest request, Runnable serveNext) {
        this.channel = channel;
        this.request = request;
        this.serveNext = serveNext;
    }

    IncomingRequest request() {
        return request;
    }

    Channel channel() {
        return channel;
    }

    /** Runs {@code task} on the event loop after {@code delay}; nothing if the loop is shutting down. */
    void after(Duration delay, Runnable task) {
        try {
            if (delay.isZero()) {
                channel.eventLoop().execute(task);
            } else {
                channel.eventLoop().schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
            }
        } catch (RejectedExecutionException e) {
            LOG.debug("simulator shutting down, dropping a scheduled write on {}", channel);
        }
    }

    /** Writes a whole JSON response, recording it first if {@code recorder} is not {@code null}. */
    void respondJson(HttpResponseStatus status, byte[] body, HttpHeaders extraHeaders, ExchangeRecorder recorder) {
        if (!channel.isActive()) {
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        if (extraHeaders != null) {
            response.headers().add(extraHeaders);
        }
        HttpUtil.setContentLength(response, body.length);
        HttpUtil.setKeepAlive(response, request.keepAlive());
        if (recorder != null) {
            recorder.status(status.code());
            recorder.append(body);
            recorder.finished(true);
        }
        ChannelFuture written = channel.writeAndFlush(response);
        written.addListener(failureListener(recorder));
        complete(written);
    }

    /** Ends this call after {@code lastWrite}: serves the next request, or closes if not keep-alive. */
    void complete(ChannelFuture lastWrite) {
        if (request.keepAlive()) {
            serveNext.run();
        } else {
            lastWrite.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** On a failed write: the exchange is not finished, and the connection is closed. */
    static ChannelFutureListener failureListener(ExchangeRecorder recorder) {
        return future -> {
            if (!future.isSuccess()) {
                if (recorder != null) {
                    recorder.finished(false);
                }
                LOG.debug("write failed on {}: {}", future.channel(), String.valueOf(future.cause()));
                future.channel().close();
            }
        };
    }
}
