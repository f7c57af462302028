package dev.metering.edge.usage;

import io.netty.buffer.ByteBuf;

/**
 * Reads usage out of a response body as its chunks pass through, without consuming or holding
 * them. Implementations never throw on bad input.
 */
public interface UsageParser {
    /** Looks at the readable bytes of {@code chunk}, leaving its indices alone. */
    void onChunk(ByteBuf chunk);

    /** The body ended (or was cut off); flushes whatever is pending. */
    void onEnd();

    CapturedUsage usage();

    /** For a body that carries no usage we can read, such as an encoded or foreign one. */
    static UsageParser none() {
        CapturedUsage empty = new CapturedUsage();
        return new UsageParser() {
            @Override
            public void onChunk(ByteBuf chunk) {
            }

            @Override
            public void onEnd() {
            }

            @Override
            public CapturedUsage usage() {
                return empty;
            }
        };
    }
}
