package dev.metering.edge.spool;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of the local write-ahead spool.
 *
 * @param dir where segment files, the checkpoint and the lock live; one edge process per dir
 * @param maxBytes undelivered bytes allowed before new calls are refused
 * @param segmentBytes size at which a new segment file is started
 * @param fsyncInterval how often appended data is forced to disk, on a thread of its own: appends
 *     never wait for it, a process crash loses nothing, and a power loss about this interval plus
 *     the fsync's own time
 */
public record SpoolOptions(Path dir, long maxBytes, long segmentBytes, Duration fsyncInterval) {
    public SpoolOptions {
        if (maxBytes < 1024 * 1024) {
            throw new IllegalArgumentException("spool maxBytes: " + maxBytes + " (expected: >= 1 MiB)");
        }
        if (segmentBytes < 64 * 1024 || segmentBytes > maxBytes) {
            throw new IllegalArgumentException("spool segmentBytes: " + segmentBytes + " (expected: 64 KiB - maxBytes)");
        }
        if (fsyncInterval.isNegative() || fsyncInterval.isZero()) {
            throw new IllegalArgumentException("spool fsyncInterval: " + fsyncInterval + " (expected: > 0)");
        }
    }

    public static SpoolOptions defaults(Path dir) {
        return new SpoolOptions(dir, 1024L * 1024 * 1024, 64L * 1024 * 1024, Duration.ofMillis(100));
    }
}
