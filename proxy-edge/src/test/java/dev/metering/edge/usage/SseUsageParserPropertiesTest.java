package dev.metering.edge.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.netty.buffer.Unpooled;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Whatever bytes an upstream sends, the parsers neither throw nor report negative usage. */
class SseUsageParserPropertiesTest {

    @Property(tries = 500)
    void sseParserNeverThrowsOnArbitraryBytes(@ForAll @Size(max = 8) List<@Size(max = 300) byte[]> chunks) {
        SseUsageParser p = new SseUsageParser();
        for (byte[] c : chunks) {
            p.onChunk(Unpooled.wrappedBuffer(c));
        }
        p.onEnd();
        assertNonNegative(p.usage());
    }

    @Property(tries = 500)
    void sseParserNeverThrowsOnSseShapedNoise(@ForAll("sseNoise") List<String> chunks) {
        SseUsageParser p = new SseUsageParser();
        for (String c : chunks) {
            p.onChunk(Unpooled.wrappedBuffer(c.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        p.onEnd();
        assertNonNegative(p.usage());
    }

    @Property(tries = 300)
    void jsonBodyParserNeverThrowsOnArbitraryBytes(@ForAll @Size(max = 6) List<@Size(max = 200) byte[]> chunks) {
        JsonBodyUsageParser p = new JsonBodyUsageParser();
        for (byte[] c : chunks) {
            p.onChunk(Unpooled.wrappedBuffer(c));
        }
        p.onEnd();
        assertNonNegative(p.usage());
    }

    @Provide
    Arbitrary<List<String>> sseNoise() {
        Arbitrary<String> piece = Arbitraries.of("event: ", "message_start", "message_delta", "data: ", "{", "}", "\"usage\"",
                ":", "\"input_tokens\"", "\"output_tokens\"", "-5", "99999999999999999999999", "1", "[", "]", ",", "\n",
                "\r", "\r\n", "\n\n", ": comment", "\"message\"", "null", "\"", "\\", "é", "\u0000");
        return piece.list().ofMaxSize(60).map(l -> String.join("", l)).list().ofMaxSize(6);
    }

    private static void assertNonNegative(CapturedUsage u) {
        var t = u.tokens();
        assertThat(t.input()).isNotNegative();
        assertThat(t.output()).isNotNegative();
        assertThat(t.cacheRead()).isNotNegative();
        assertThat(t.cacheWrite()).isNotNegative();
    }
}
