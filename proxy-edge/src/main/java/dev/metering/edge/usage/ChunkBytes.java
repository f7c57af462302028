package dev.metering.edge.usage;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * Gives a chunk's readable bytes as an array for Jackson's feeder: the backing array of a heap
 * buffer as is, or a copy into a scratch array for a direct one. The scratch array belongs to the
 * thread (an event loop), not to the response: parsers consume the bytes before returning, and a
 * fresh array per response showed up as the edge's largest allocation.
 */
final class ChunkBytes {
    private static final FastThreadLocal<byte[][]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[][] initialValue() {
            return new byte[][] {new byte[16 * 1024]};
        }
    };

    private int offset;

    /** The array holding the readable bytes of {@code buf}, starting at {@link #offset()}. */
    byte[] of(ByteBuf buf) {
        int n = buf.readableBytes();
        if (buf.hasArray()) {
            offset = buf.arrayOffset() + buf.readerIndex();
            return buf.array();
        }
        byte[][] holder = SCRATCH.get();
        if (holder[0].length < n) {
            holder[0] = new byte[Math.max(n, holder[0].length * 2)];
        }
        buf.getBytes(buf.readerIndex(), holder[0], 0, n);
        offset = 0;
        return holder[0];
    }

    int offset() {
        return offset;
    }
}
