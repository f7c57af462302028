package dev.metering.simulator;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Writes a 200 {@code text/event-stream} response chunk by chunk, paced on the event loop: the head and
 * the first chunk after the first-byte delay, each further chunk one event interval later, each in its own
 * flushed HTTP chunk. It pauses after the first chunk while streams are held, can cut the connection after
 * a number of chunks, and stops as soon as the client is gone.
 */
final class StreamWriter {
    private static final Logger LOG = LoggerFactory.getLogger(StreamWriter.class);
    static final String CONTENT_TYPE = "text/event-stream; charset=utf-8";

    private final HttpCall call;
    private final SimulatorOptions options;
    private final SimulatorState state;
    private final ExchangeRecorder recorder;
    private final List<byte[]> chunks;
    private final int closeAfter;
    private int next;
    private boolean headWritten;

    /**
     * @param closeAfter close the connection after this many chunks without ending the body, or -1 to end
     *                   the response normally
     */
    StreamWriter(HttpCall call, SimulatorOptions options, SimulatorState state, ExchangeRecorder recorder,
            List<byte[]> chunks, int closeAfter) {
        this.call = call;
        this.options = options;
        this.state = state;
        this.recorder = recorder;
        this.chunks = List.copyOf(chunks);
        this.closeAfter = closeAfter;
    }

    void start() {
        call.after(options.firstByteDelay(), this::step);
    }

    private void step() {
        Channel channel = call.channel();
        if (!channel.isActive()) {
            LOG.debug("client gone after {} of {} events on {}", next, chunks.size(), channel);
            return;
        }
        ChannelFuture written = null;
        if (!headWritten) {
            headWritten = true;
            recorder.status(HttpResponseStatus.OK.code());
            written = channel.write(head()).addListener(HttpCall.failureListener(recorder));
        }
        if (next == closeAfter || (next == chunks.size() && closeAfter > chunks.size())) {
            cut(written != null ? written : channel.newSucceededFuture());
            return;
        }
        if (next == chunks.size()) {
            recorder.finished(true);
            ChannelFuture last = channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
                    .addListener(HttpCall.failureListener(recorder));
            call.complete(last);
            return;
        }
        byte[] chunk = chunks.get(next++);
        recorder.append(chunk);
        written = channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(chunk)))
                .addListener(HttpCall.failureListener(recorder));
        if (next == closeAfter) {
            cut(written);
            return;
        }
        if (next == 1 && holdIfAsked()) {
            return;
        }
        call.after(options.eventInterval(), this::step);
    }

    private HttpResponse head() {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                .set(MessagesRoute.REQUEST_ID, recorder.requestId());
        HttpUtil.setTransferEncodingChunked(head, true);
        HttpUtil.setKeepAlive(head, call.request().keepAlive());
        return head;
    }

    /** Flushes what was written and closes the connection, leaving the chunked body unterminated. */
    private void cut(ChannelFuture lastWrite) {
        LOG.debug("closing {} after {} events, as the fault asks", call.channel(), next);
        call.channel().flush();
        lastWrite.addListener(ChannelFutureListener.CLOSE);
    }

    /** Registers a resume on the current release, if streams are held; whether the stream now waits. */
    private boolean holdIfAsked() {
        CompletableFuture<Void> release = state.currentHold();
        if (release == null || release.isDone()) {
            return false;
        }
        LOG.debug("holding the stream on {} after its first event", call.channel());
        release.whenComplete((ignored, failure) -> {
            try {
                call.channel().eventLoop().execute(() -> call.after(options.eventInterval(), this::step));
            } catch (RejectedExecutionException e) {
                LOG.debug("simulator shut down while a stream was held");
            }
        });
        return true;
    }
}
