package dev.metering.edge.spool;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One spool record on disk: a 4-byte length, a 4-byte CRC32C of the payload, then the payload.
 * A torn write at the tail fails the length or CRC check and marks the end of the valid log.
 */
final class SpoolRecordFormat {
    static final int HEADER = 8;
    static final int MAX_PAYLOAD = 1024 * 1024;

    private SpoolRecordFormat() {
    }

    static int sizeOf(byte[] payload) {
        return HEADER + payload.length;
    }

    static void write(ByteBuffer out, byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        out.putInt(payload.length);
        out.putInt((int) crc.getValue());
        out.put(payload);
    }

    /** Whether {@code payload} matches the CRC of its header. */
    static boolean valid(int storedCrc, byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        return (int) crc.getValue() == storedCrc;
    }
}
