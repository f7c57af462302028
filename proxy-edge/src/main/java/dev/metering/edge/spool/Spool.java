package dev.metering.edge.spool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's local write-ahead log of usage events. Every event is appended here before the last
 * byte of its response goes to the client; a shipper then delivers the log to Kafka in order and
 * acknowledges what Kafka acknowledged. Appends are group-committed by one writer thread and
 * do not wait for an fsync: a second thread forces the file to disk on a timer, while the writer
 * goes on writing (an fsync on a shared disk can take milliseconds, which every call arriving
 * meanwhile would otherwise wait for). The one exception is a full segment, forced before the
 * next one is opened (once per segment). An event is in the operating system's page cache once
 * its append completes: killing the process loses nothing, and a power loss about one fsync
 * interval (plus the fsync's own time). A restarted edge resends everything past the last
 * checkpoint; the consumer dedupes on the event id.
 *
 * <p>Appends are thread-safe. {@link #read} and {@link #acknowledge} belong to the single shipper
 * thread.
 */
public final class Spool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Spool.class);
    private static final String SUFFIX = ".spool";
    private static final String CHECKPOINT = "acked.pos";
    private static final int WRITE_BATCH = 4096;
    private static final long CHECKPOINT_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private record Append(byte[] payload, CompletableFuture<Long> done) {
    }

    private final SpoolOptions options;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ConcurrentSkipListMap<Long, Path> segments = new ConcurrentSkipListMap<>();
    private final LinkedBlockingQueue<Append> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final Object appended = new Object();
    private final Thread writer;
    private final Thread syncer;
    private final AtomicBoolean dirty = new AtomicBoolean();
    /** Held to force {@code current}, and to retire it for a new segment. */
    private final Object segmentLock = new Object();

    private volatile long writtenPos;
    private volatile long ackedPos;
    private volatile boolean closing;
    private volatile Throwable writerFailure;

    // writer-thread state; the syncer reads current under segmentLock
    private FileChannel current;
    private long currentBase;

    // shipper-thread state
    private long lastCheckpoint;
    private long checkpointed;
    private FileChannel readChannel;
    private long readBase = -1;

    private Spool(SpoolOptions options, FileChannel lockChannel, FileLock lock) {
        this.options = options;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.writer = new Thread(this::writeLoop, "spool-writer");
        this.writer.setDaemon(true);
        this.syncer = new Thread(this::syncLoop, "spool-syncer");
        this.syncer.setDaemon(true);
    }

    /**
     * Opens (or creates) the spool in {@code options.dir()}, recovering what a previous process
     * left: a torn record at the tail is cut off, and everything after the checkpoint is pending.
     *
     * @throws IllegalStateException when another process holds the directory
     */
    public static Spool open(SpoolOptions options) {
        try {
            Files.createDirectories(options.dir());
            FileChannel lockChannel = FileChannel.open(options.dir().resolve("spool.lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = lockChannel.tryLock();
            if (lock == null) {
                lockChannel.close();
                throw new IllegalStateException("spool directory " + options.dir().toAbsolutePath()
                        + " is in use by another edge process (give each edge its own PROXY_SPOOL_DIR)");
            }
            Spool spool = new Spool(options, lockChannel, lock);
            spool.recover();
            spool.writer.start();
            spool.syncer.start();
            return spool;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open spool in " + options.dir().toAbsolutePath(), e);
        }
    }

    private void recover() throws IOException {
        try (Stream<Path> files = Files.list(options.dir())) {
            files.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).forEach(p -> {
                String name = p.getFileName().toString();
                segments.put(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())), p);
            });
        }
        Path cp = options.dir().resolve(CHECKPOINT);
        long acked = readCheckpoint(cp);
        if (segments.isEmpty()) {
            openSegment(acked);
            writtenPos = acked;
        } else {
            Map.Entry<Long, Path> last = segments.lastEntry();
            long validEnd = validLength(last.getValue());
            current = FileChannel.open(last.getValue(), StandardOpenOption.WRITE, StandardOpenOption.READ);
            if (current.size() > validEnd) {
                log.warn("spool segment {}: cut a torn tail of {} bytes", last.getValue(), current.size() - validEnd);
                current.truncate(validEnd);
                current.force(true);
            }
            currentBase = last.getKey();
            writtenPos = currentBase + validEnd;
        }
        long first = segments.firstKey();
        ackedPos = Math.min(Math.max(acked, first), writtenPos);
        checkpointed = ackedPos;
        if (writtenPos > ackedPos) {
            log.info("spool {}: {} bytes from a previous run are pending delivery", options.dir(), writtenPos - ackedPos);
        }
    }

    /** The acknowledged position, or 0 (resend everything) when the checkpoint is missing or torn. */
    private static long readCheckpoint(Path cp) {
        try {
            return Files.exists(cp) ? Long.parseLong(Files.readString(cp, StandardCharsets.US_ASCII).trim()) : 0;
        } catch (IOException | NumberFormatException e) {
            log.warn("spool checkpoint {} unreadable ({}); everything spooled will be resent", cp, e.toString());
            return 0;
        }
    }

    private static long validLength(Path segment) throws IOException {
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
            long pos = 0;
            long size = ch.size();
            ByteBuffer header = ByteBuffer.allocate(SpoolRecordFormat.HEADER);
            while (pos + SpoolRecordFormat.HEADER <= size) {
                header.clear();
                readFully(ch, header, pos);
                header.flip();
                int len = header.getInt();
                int crc = header.getInt();
                if (len <= 0 || len > SpoolRecordFormat.MAX_PAYLOAD || pos + SpoolRecordFormat.HEADER + len > size) {
                    break;
                }
                ByteBuffer payload = ByteBuffer.allocate(len);
                readFully(ch, payload, pos + SpoolRecordFormat.HEADER);
                if (!SpoolRecordFormat.valid(crc, payload.array())) {
                    break;
                }
                pos += SpoolRecordFormat.HEADER + len;
            }
            return pos;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new IOException("unexpected end of spool segment");
            }
        }
    }

    private void openSegment(long base) throws IOException {
        Path p = options.dir().resolve(String.format("%020d%s", base, SUFFIX));
        current = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        currentBase = base;
        segments.put(base, p);
    }

    /**
     * Refuses a new call when undelivered events already fill the spool.
     *
     * @throws SpoolFullException when they do
     */
    public void checkCapacity() {
        if (writerFailure != null) {
            throw new SpoolFullException("usage spool cannot be written: " + writerFailure);
        }
        long pending = pendingBytes();
        if (pending >= options.maxBytes()) {
            throw new SpoolFullException(pending, options.maxBytes());
        }
    }

    /** Bytes appended (or queued) but not yet acknowledged by Kafka. */
    public long pendingBytes() {
        return writtenPos - ackedPos + queuedBytes.get();
    }

    /**
     * Appends {@code payload}; the future completes, on the writer thread, once the record is
     * written to the file (not yet fsynced). An append is never refused for space: the bound is
     * applied when calls start, see {@link #checkCapacity()}.
     */
    public CompletableFuture<Long> append(byte[] payload) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        if (payload.length > SpoolRecordFormat.MAX_PAYLOAD) {
            done.completeExceptionally(new IllegalArgumentException("spool record of " + payload.length + " bytes"));
            return done;
        }
        Throwable failure = writerFailure;
        if (failure != null) {
            done.completeExceptionally(new IOException("spool writer failed", failure));
            return done;
        }
        if (closing) {
            done.completeExceptionally(new IllegalStateException("spool is closed"));
            return done;
        }
        queuedBytes.addAndGet(SpoolRecordFormat.sizeOf(payload));
        queue.add(new Append(payload, done));
        if (closing && !writer.isAlive()) {
            Append late;
            while ((late = queue.poll()) != null) {
                late.done().completeExceptionally(new IllegalStateException("spool is closed"));
            }
        }
        return done;
    }

    private void writeLoop() {
        List<Append> batch = new ArrayList<>(WRITE_BATCH);
        try {
            while (!closing || !queue.isEmpty()) {
                Append first = queue.poll(options.fsyncInterval().toNanos(), TimeUnit.NANOSECONDS);
                if (first != null) {
                    batch.add(first);
                    queue.drainTo(batch, WRITE_BATCH - 1);
                    writeBatch(batch);
                    batch.clear();
                }
            }
            fsync();
        } catch (IOException | RuntimeException e) {
            writerFailure = e;
            log.error("spool writer failed; new events cannot be made durable", e);
            batch.forEach(a -> a.done().completeExceptionally(e));
            Append a;
            while ((a = queue.poll()) != null) {
                a.done().completeExceptionally(e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeBatch(List<Append> batch) throws IOException {
        if (current.size() >= options.segmentBytes()) {
            synchronized (segmentLock) {
                FileChannel full = current;
                full.force(false);
                openSegment(writtenPos); // first: if it fails, current stays the full segment, still open
                full.close();
            }
        }
        int total = 0;
        for (Append a : batch) {
            total += SpoolRecordFormat.sizeOf(a.payload());
        }
        ByteBuffer buf = ByteBuffer.allocate(total);
        for (Append a : batch) {
            SpoolRecordFormat.write(buf, a.payload());
        }
        buf.flip();
        long at = writtenPos - currentBase;
        while (buf.hasRemaining()) {
            at += current.write(buf, at);
        }
        dirty.set(true);
        long pos = writtenPos;
        for (Append a : batch) {
            pos += SpoolRecordFormat.sizeOf(a.payload());
        }
        writtenPos = pos;
        queuedBytes.addAndGet(-total);
        synchronized (appended) {
            appended.notifyAll();
        }
        long end = writtenPos - total;
        for (Append a : batch) {
            end += SpoolRecordFormat.sizeOf(a.payload());
            a.done().complete(end);
        }
    }

    /** Forces what was written so far to disk, if anything was written since the last time. */
    private void fsync() throws IOException {
        if (dirty.getAndSet(false)) {
            synchronized (segmentLock) {
                if (current.isOpen()) {
                    current.force(false);
                }
            }
        }
    }

    /** Every fsync interval, forces what the writer wrote meanwhile; never interrupted (that would close the file). */
    private void syncLoop() {
        try {
            while (!closing) {
                LockSupport.parkNanos(options.fsyncInterval().toNanos());
                fsync();
            }
        } catch (Throwable e) {
            if (writerFailure == null) {
                writerFailure = e;
            }
            log.error("spool cannot be forced to disk; new events cannot be made durable", e);
        }
    }

    /** Records read for delivery, and the position just past the last one. */
    public record Batch(List<byte[]> payloads, long endPos) {
        public boolean isEmpty() {
            return payloads.isEmpty();
        }
    }

    /** The position delivery has to resume from: everything before it reached Kafka. */
    public long ackedPosition() {
        return ackedPos;
    }

    /** The end of what has been written. */
    public long writtenPosition() {
        return writtenPos;
    }

    /**
     * Reads up to {@code maxRecords} records (and about {@code maxBytes}) from {@code from},
     * waiting up to {@code waitMillis} for something to arrive when nothing is pending.
     */
    public Batch read(long from, int maxRecords, int maxBytes, long waitMillis) throws IOException {
        if (writtenPos <= from && waitMillis > 0) {
            synchronized (appended) {
                if (writtenPos <= from) {
                    try {
                        appended.wait(waitMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }
        List<byte[]> out = new ArrayList<>();
        long pos = from;
        long limit = writtenPos;
        int bytes = 0;
        ByteBuffer header = ByteBuffer.allocate(SpoolRecordFormat.HEADER);
        while (pos < limit && out.size() < maxRecords && bytes < maxBytes) {
            Map.Entry<Long, Path> seg = segments.floorEntry(pos);
            if (seg == null) {
                throw new IOException("spool position " + pos + " is before the first segment");
            }
            Map.Entry<Long, Path> next = segments.higherEntry(seg.getKey());
            FileChannel ch = readerFor(seg.getKey(), seg.getValue());
            long offset = pos - seg.getKey();
            if (offset + SpoolRecordFormat.HEADER > ch.size()) {
                if (next == null) {
                    break;
                }
                pos = next.getKey(); // end of a rolled segment
                continue;
            }
            header.clear();
            readFully(ch, header, offset);
            header.flip();
            int len = header.getInt();
            int crc = header.getInt();
            if (len <= 0 || len > SpoolRecordFormat.MAX_PAYLOAD) {
                throw new IOException("spool record at " + pos + " has an impossible length " + len);
            }
            ByteBuffer payload = ByteBuffer.allocate(len);
            readFully(ch, payload, offset + SpoolRecordFormat.HEADER);
            if (!SpoolRecordFormat.valid(crc, payload.array())) {
                throw new IOException("spool record at " + pos + " fails its CRC");
            }
            out.add(payload.array());
            bytes += len;
            pos += SpoolRecordFormat.HEADER + len;
        }
        return new Batch(out, pos);
    }

    private FileChannel readerFor(long base, Path path) throws IOException {
        if (readBase != base) {
            if (readChannel != null) {
                readChannel.close();
            }
            readChannel = FileChannel.open(path, StandardOpenOption.READ);
            readBase = base;
        }
        return readChannel;
    }

    /**
     * Everything before {@code pos} reached Kafka: it no longer counts against the bound, fully
     * delivered segments are deleted, and the checkpoint is written now and then.
     */
    public void acknowledge(long pos) {
        if (pos <= ackedPos) {
            return;
        }
        ackedPos = pos;
        long now = System.nanoTime();
        if (now - lastCheckpoint >= CHECKPOINT_EVERY_NANOS) {
            checkpoint();
            lastCheckpoint = now;
        }
    }

    private void checkpoint() {
        long pos = ackedPos;
        if (pos == checkpointed) {
            return;
        }
        try {
            Path tmp = options.dir().resolve(CHECKPOINT + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap(Long.toString(pos).getBytes(StandardCharsets.US_ASCII)));
                ch.force(true);
            }
            Files.move(tmp, options.dir().resolve(CHECKPOINT), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            checkpointed = pos;
            deleteDelivered(pos);
        } catch (IOException e) {
            log.warn("spool checkpoint at {} not written ({}); delivery will resend from the previous one", pos,
                    e.toString());
        }
    }

    private void deleteDelivered(long pos) throws IOException {
        for (Map.Entry<Long, Path> seg : segments.entrySet()) {
            Map.Entry<Long, Path> next = segments.higherEntry(seg.getKey());
            if (next == null || next.getKey() > pos) {
                return; // the current segment, or one still holding undelivered records
            }
            Files.deleteIfExists(seg.getValue());
            segments.remove(seg.getKey());
        }
    }

    /** Stops the writer after everything queued is written, fsyncs, checkpoints and unlocks. */
    @Override
    public void close() {
        closing = true;
        LockSupport.unpark(syncer);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(30));
            syncer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // An append that raced with closing was queued after the writer's last look: fail it.
        Append late;
        while ((late = queue.poll()) != null) {
            late.done().completeExceptionally(new IllegalStateException("spool is closed"));
        }
        try {
            checkpoint();
            if (readChannel != null) {
                readChannel.close();
            }
            current.force(true);
            current.close();
        } catch (IOException e) {
            log.warn("spool did not close cleanly: {}", e.toString());
        } finally {
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException e) {
                log.warn("spool directory lock not released: {}", e.toString());
            }
        }
    }
}
