package dev.metering.edge.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.metering.model.money.TokenUsage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

class UsageCaptureHandlerTest {

    @Test
    void capturesStreamUsageWhenTheRecordedStreamIsSplitAtEveryByteOffset() throws IOException {
        byte[] stream = resource("/streams/sonnet.sse");
        for (int cut = 0; cut <= stream.length; cut++) {
            Relayed r = relay("text/event-stream; charset=utf-8", List.of(slice(stream, 0, cut), slice(stream, cut, stream.length)));
            assertThat(r.body).as("relayed bytes, cut at %d", cut).isEqualTo(stream);
            assertThat(r.usage.tokens()).as("usage, cut at %d", cut).isEqualTo(new TokenUsage(472, 89, 310, 25));
            assertThat(r.usage.model()).isEqualTo("claude-sonnet-4-5-20250929");
            assertThat(r.usage.sawMessageStop()).isTrue();
        }
    }

    @Test
    void capturesStreamUsageFedOneByteAtATime() throws IOException {
        byte[] stream = resource("/streams/sonnet.sse");
        List<byte[]> bytes = new ArrayList<>();
        for (int i = 0; i < stream.length; i++) {
            bytes.add(slice(stream, i, i + 1));
        }
        Relayed r = relay("text/event-stream", bytes);
        assertThat(r.body).isEqualTo(stream);
        assertThat(r.usage.tokens()).isEqualTo(new TokenUsage(472, 89, 310, 25));
    }

    @Test
    void toleratesCrlfCommentsUnknownEventsAndMultiLineDataAtEveryCut() throws IOException {
        byte[] stream = resource("/streams/crlf-comments-unknown.sse");
        for (int cut = 0; cut <= stream.length; cut++) {
            Relayed r = relay("text/event-stream", List.of(slice(stream, 0, cut), slice(stream, cut, stream.length)));
            assertThat(r.body).isEqualTo(stream);
            // message_delta repeats the input fields (newer API versions): the later values win,
            // and the unknown event's usage is ignored.
            assertThat(r.usage.tokens()).as("cut at %d", cut).isEqualTo(new TokenUsage(480, 91, 320, 25));
            assertThat(r.usage.sawMessageStop()).as("cut at %d", cut).isTrue();
        }
    }

    @Test
    void aStreamCutOffMidwayKeepsWhatWasSeen() throws IOException {
        byte[] stream = resource("/streams/sonnet.sse");
        String text = new String(stream, java.nio.charset.StandardCharsets.UTF_8);
        int cut = text.indexOf("event: message_delta");
        EmbeddedChannel ch = new EmbeddedChannel(new UsageCaptureHandler());
        ch.writeInbound(response("text/event-stream"), new DefaultHttpContent(Unpooled.wrappedBuffer(slice(stream, 0, cut))));
        UsageCaptureHandler h = ch.pipeline().get(UsageCaptureHandler.class);
        ch.close();
        assertThat(h.usage().tokens()).isEqualTo(new TokenUsage(472, 2, 310, 25));
        assertThat(h.usage().sawMessageStop()).isFalse();
        releaseAll(ch);
    }

    @Test
    void capturesUsageOfANonStreamingBodyAtEveryCut() {
        byte[] body = ("{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-haiku-4-5-20251001\","
                + "\"content\":[{\"type\":\"tool_use\",\"input\":{\"usage\":{\"input_tokens\":5}}}],"
                + "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":0,"
                + "\"cache_read_input_tokens\":3,\"output_tokens\":7}}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int cut = 0; cut <= body.length; cut++) {
            Relayed r = relay("application/json", List.of(slice(body, 0, cut), slice(body, cut, body.length)));
            assertThat(r.body).isEqualTo(body);
            assertThat(r.usage.tokens()).as("cut at %d", cut).isEqualTo(new TokenUsage(12, 7, 3, 0));
            assertThat(r.usage.model()).isEqualTo("claude-haiku-4-5-20251001");
        }
    }

    @Test
    void readsNothingFromAnEncodedBodyButStillRelaysIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new UsageCaptureHandler());
        HttpResponse res = response("application/json");
        res.headers().set(HttpHeaderNames.CONTENT_ENCODING, "gzip");
        byte[] junk = {31, -117, 8, 0, 1, 2, 3};
        ch.writeInbound(res, new DefaultLastHttpContent(Unpooled.wrappedBuffer(junk)));
        assertThat(ch.pipeline().get(UsageCaptureHandler.class).usage().sawUsage()).isFalse();
        assertThat((Object) ch.readInbound()).isSameAs(res);
        HttpContent c = ch.readInbound();
        assertThat(bytes(c.content())).isEqualTo(junk);
        c.release();
        ch.finishAndReleaseAll();
    }

    private record Relayed(byte[] body, CapturedUsage usage) {
    }

    private static Relayed relay(String contentType, List<byte[]> chunks) {
        UsageCaptureHandler handler = new UsageCaptureHandler();
        EmbeddedChannel ch = new EmbeddedChannel(handler);
        ch.writeInbound(response(contentType));
        for (int i = 0; i < chunks.size(); i++) {
            ByteBuf buf = Unpooled.directBuffer().writeBytes(chunks.get(i));
            ch.writeInbound(i == chunks.size() - 1 ? new DefaultLastHttpContent(buf) : new DefaultHttpContent(buf));
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        Object msg;
        while ((msg = ch.readInbound()) != null) {
            if (msg instanceof HttpContent c) {
                out.writeBytes(bytes(c.content()));
                c.release();
            }
        }
        ch.finishAndReleaseAll();
        return new Relayed(out.toByteArray(), handler.usage());
    }

    private static void releaseAll(EmbeddedChannel ch) {
        ch.finishAndReleaseAll();
    }

    private static HttpResponse response(String contentType) {
        HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        return res;
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), out);
        return out;
    }

    private static byte[] slice(byte[] a, int from, int to) {
        return java.util.Arrays.copyOfRange(a, from, to);
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = UsageCaptureHandlerTest.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }
}
