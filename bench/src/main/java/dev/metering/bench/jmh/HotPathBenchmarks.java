package dev.metering.bench.jmh;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.metering.edge.usage.CapturedUsage;
import dev.metering.edge.usage.SseUsageParser;
import dev.metering.model.event.Outcome;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.event.UsageEventCodec;
import dev.metering.model.event.UsageEventRecords;
import dev.metering.model.key.ProxyKeys;
import dev.metering.model.money.Cost;
import dev.metering.model.money.PriceTable;
import dev.metering.model.money.TokenUsage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** The pieces on every call's path: SSE usage parsing, key verification, cost, event encoding. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPathBenchmarks {
    private List<ByteBuf> chunks;
    private org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> consumed;
    private int streamBytes;
    private ProxyKeys keys;
    private String validKey;
    private String forgedKey;
    private PriceTable prices;
    private TokenUsage usage;
    private Instant now;
    private UsageEvent event;

    @Setup
    public void setUp() {
        StringBuilder sse = new StringBuilder();
        sse.append("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                + "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,"
                + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":472,\"cache_creation_input_tokens\":25,"
                + "\"cache_read_input_tokens\":310,\"output_tokens\":1}}}\n\n");
        for (int i = 0; i < 200; i++) {
            sse.append("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                    + "\"delta\":{\"type\":\"text_delta\",\"text\":\"word ").append(i).append(" \"}}\n\n");
        }
        sse.append("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                + "\"usage\":{\"output_tokens\":400}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        byte[] bytes = sse.toString().getBytes(StandardCharsets.UTF_8);
        streamBytes = bytes.length;
        chunks = new ArrayList<>();
        for (int i = 0; i < bytes.length; i += 512) {
            chunks.add(Unpooled.wrappedBuffer(bytes, i, Math.min(512, bytes.length - i)));
        }
        keys = new ProxyKeys("proxy-shared-secret");
        validKey = keys.issue("alice");
        forgedKey = new ProxyKeys("other").issue("alice");
        prices = PriceTable.bundled();
        usage = new TokenUsage(120, 40, 10, 5);
        now = Instant.now();
        event = new UsageEvent(UUID.randomUUID().toString(), now, "alice", "session-1", "claude-sonnet-4-5-20250929",
                200, true, 120, 40, 10, 5, 982, "2025-10-01", "edge-1", 1834, Outcome.COMPLETED);
        var produced = UsageEventRecords.toRecord("usage-events", event);
        consumed = new org.apache.kafka.clients.consumer.ConsumerRecord<>("usage-events", 0, 0L, 0L,
                org.apache.kafka.common.record.TimestampType.CREATE_TIME, 5, produced.value().length, produced.key(),
                produced.value(), produced.headers(), java.util.Optional.empty());
    }

    /** A whole 200-delta stream in 512-byte chunks; divide by the chunk count for per-chunk cost. */
    @Benchmark
    public CapturedUsage sseStreamOf200Deltas() {
        SseUsageParser p = new SseUsageParser();
        for (ByteBuf c : chunks) {
            p.onChunk(c);
        }
        p.onEnd();
        return p.usage();
    }

    @Benchmark
    public Object verifyValidKey() {
        return keys.verify(validKey);
    }

    @Benchmark
    public Object verifyForgedKey() {
        return keys.verify(forgedKey);
    }

    @Benchmark
    public Cost costOfACall() {
        return prices.cost("claude-sonnet-4-5-20250929", usage, now);
    }

    @Benchmark
    public byte[] encodeEvent() {
        return UsageEventCodec.encode(event);
    }

    @Benchmark
    public Object encodeEventAsCloudEventRecord() {
        return UsageEventRecords.toRecord("usage-events", event);
    }

    /** The consumer's side: a Kafka record (headers checked) back to a validated event. */
    @Benchmark
    public UsageEvent decodeEventRecord() {
        return UsageEventRecords.fromRecord(consumed);
    }

    /** For reading the SSE figure per chunk. */
    public int chunkCount() {
        return chunks.size();
    }

    public int streamBytes() {
        return streamBytes;
    }
}
