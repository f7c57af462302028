package dev.metering.edge.usage;

import io.netty.buffer.ByteBuf;

/**
 * Gives a chunk's readable bytes as an array for Jackson's feeder: the backing array of a heap
 * buffer as is, or a copy into a reused scratch array for a direct one.
 */
final class ChunkBytes {
    private byte[] scratch = new byte[0];
    private int offset;

    /** The array holding the readable bytes of {@code buf}, starting at {@link #offset()}. */
    byte[] of(ByteBuf buf) {
        int n = buf.readableBytes();
        if (buf.hasArray()) {
            offset = buf.arrayOffset() + buf.readerIndex();
            return buf.array();
        }
        if (scratch.length < n) {
            scratch = new byte[Math.max(n, 8192)];
        }
        buf.getBytes(buf.readerIndex(), scratch, 0, n);
        offset = 0;
        return scratch;
    }

    int offset() {
        return offset;
    }
}
