package dev.metering.edge.usage;

import io.netty.buffer.ByteBuf;

/** Usage of a non-streaming response: {@code model} and {@code usage} of the JSON body. */
public final class JsonBodyUsageParser implements UsageParser {
    private final CapturedUsage usage = new CapturedUsage();
    private final UsageJsonScanner scanner = new UsageJsonScanner(usage);
    private final ChunkBytes bytes = new ChunkBytes();

    @Override
    public void onChunk(ByteBuf chunk) {
        int n = chunk.readableBytes();
        if (n > 0) {
            byte[] array = bytes.of(chunk);
            scanner.feed(array, bytes.offset(), bytes.offset() + n);
        }
    }

    @Override
    public void onEnd() {
        scanner.endOfInput();
    }

    @Override
    public CapturedUsage usage() {
        return usage;
    }
}
