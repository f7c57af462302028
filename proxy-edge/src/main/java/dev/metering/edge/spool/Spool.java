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
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's local write-ahead log of usage events. Every event is appended here before the last
 * byte of its response goes to the client; a shipper then delivers the log to Kafka in order and
 * acknowledges what Kafka acknowledged.
 *
 * <p>An append is one positional write into the page cache, on the caller's own thread (an event
 * loop), so a call's last byte follows its append without the call passing to another thread and
 * back: those two hand-offs were the edge's whole latency tail on a busy machine (see
 * BENCHMARKS.md). Appends never wait for the disk. A thread of the spool's own, the syncer, forces
 * the file to disk on a timer while appends go on (an fsync on a shared disk can take
 * milliseconds), and it also forces and closes a segment that an append retired for a new one.
 * An event is in the operating system's page cache once its append returns: killing the process
 * loses nothing, and a power loss about one fsync interval (plus the fsync's own time). Opening
 * the spool cuts a torn tail off every segment; a restarted edge resends everything past the last
 * checkpoint, and the consumer dedupes on the event id.
 *
 * <p>Appends are thread-safe. {@link #read} and {@link #acknowledge} belong to the single shipper
 * thread.
 */
public final class Spool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Spool.class);
    private static final String SUFFIX = ".spool";
    private static final String CHECKPOINT = "acked.pos";
    private static final long CHECKPOINT_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final SpoolOptions options;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ConcurrentSkipListMap<Long, Path> segments = new ConcurrentSkipListMap<>();
    /** Where the shipper waits for an append when it has read everything. */
    private final Object appended = new Object();
    private final Thread syncer;
    /** Held to append, and to take {@code current} or the retired segments for forcing. */
    private final Object writeLock = new Object();

    private volatile long writtenPos;
    private volatile long ackedPos;
    private volatile boolean closing;
    private volatile boolean readerWaiting;
    private volatile Throwable writeFailure;

    // guarded by writeLock
    private FileChannel current;
    private long currentBase;
    /** Whether anything was written to {@code current} since the syncer last took it. */
    private boolean dirty;
    /** Full segments an append rolled away from, still to be forced and closed by the syncer. */
    private final List<FileChannel> retired = new ArrayList<>();
    /** Direct, so a write needs no copy into a temporary native buffer. */
    private ByteBuffer scratch = ByteBuffer.allocateDirect(4096);

    // shipper-thread state
    private long lastCheckpoint;
    private long checkpointed;
    private FileChannel readChannel;
    private long readBase = -1;

    private Spool(SpoolOptions options, FileChannel lockChannel, FileLock lock) {
        this.options = options;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.syncer = new Thread(this::syncLoop, "spool-syncer");
        this.syncer.setDaemon(true);
    }

    /**
     * Opens (or creates) the spool in {@code options.dir()}, recovering what a previous process
     * left: a torn record at the tail of any segment is cut off, and everything after the
     * checkpoint is pending.
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
            // Any segment can have a torn tail after a power loss: a full one is forced by the
            // syncer only after appends moved on to the next. Those wholly before the checkpoint
            // were delivered and are never read again.
            Long from = segments.floorKey(acked);
            long validEnd = 0;
            for (Path segment : segments.tailMap(from == null ? segments.firstKey() : from, true).values()) {
                validEnd = cutTornTail(segment);
            }
            Map.Entry<Long, Path> last = segments.lastEntry();
            current = FileChannel.open(last.getValue(), StandardOpenOption.WRITE, StandardOpenOption.READ);
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

    /** Cuts what follows the last whole record off {@code segment}; returns its length after. */
    private static long cutTornTail(Path segment) throws IOException {
        long validEnd = validLength(segment);
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            if (ch.size() > validEnd) {
                log.warn("spool segment {}: cut a torn tail of {} bytes", segment, ch.size() - validEnd);
                ch.truncate(validEnd);
                ch.force(true);
            }
        }
        return validEnd;
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
        if (writeFailure != null) {
            throw new SpoolFullException("usage spool cannot be written: " + writeFailure);
        }
        long pending = pendingBytes();
        if (pending >= options.maxBytes()) {
            throw new SpoolFullException(pending, options.maxBytes());
        }
    }

    /** Bytes appended but not yet acknowledged by Kafka. */
    public long pendingBytes() {
        return writtenPos - ackedPos;
    }

    /**
     * Appends {@code payload} on the caller's thread: once this returns, the record is written to
     * the file (not yet fsynced). It takes one write system call into the page cache, under a lock
     * that appends on other threads share. An append is never refused for space: the bound is
     * applied when calls start, see {@link #checkCapacity()}. After a failed write every later
     * append fails too, and {@link #checkCapacity()} refuses new calls.
     *
     * @return the position just past the record
     * @throws IOException when the record cannot be written, or an earlier write failed
     * @throws IllegalStateException when the spool is closed
     * @throws IllegalArgumentException when the payload exceeds the largest record
     */
    public long append(byte[] payload) throws IOException {
        if (payload.length > SpoolRecordFormat.MAX_PAYLOAD) {
            throw new IllegalArgumentException("spool record of " + payload.length + " bytes");
        }
        long end;
        // An interrupted thread's write would close the channel for every thread: hold the
        // interrupt back for the write, and hand it back afterwards.
        boolean interrupted = Thread.interrupted();
        try {
            synchronized (writeLock) {
                Throwable failure = writeFailure;
                if (failure != null) {
                    throw new IOException("spool cannot be written since an earlier failure", failure);
                }
                if (closing) {
                    throw new IllegalStateException("spool is closed");
                }
                try {
                    end = write(payload);
                } catch (IOException | RuntimeException e) {
                    writeFailure = e;
                    throw e;
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e == writeFailure) { // logged once, outside the lock
                log.error("spool write failed; new events cannot be made durable", e);
            }
            throw e;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (readerWaiting) { // read after writtenPos was written: a reader that missed it is waiting, or about to
            synchronized (appended) {
                appended.notifyAll();
            }
        }
        return end;
    }

    /**
     * Writes one record at the end of the current segment, first rolling a full one; holds
     * writeLock. Returns the position just past the record.
     */
    private long write(byte[] payload) throws IOException {
        if (writtenPos - currentBase >= options.segmentBytes()) { // the segment's length, without asking the file
            FileChannel full = current;
            openSegment(writtenPos); // first: if it fails, current stays the full segment, still open
            retired.add(full); // forced and closed by the syncer, off the caller's thread
        }
        int size = SpoolRecordFormat.sizeOf(payload);
        if (scratch.capacity() < size) {
            scratch = ByteBuffer.allocateDirect(Math.max(size, 2 * scratch.capacity()));
        }
        ByteBuffer buf = scratch.clear();
        SpoolRecordFormat.write(buf, payload);
        buf.flip();
        long at = writtenPos - currentBase;
        while (buf.hasRemaining()) {
            at += current.write(buf, at);
        }
        dirty = true;
        writtenPos += size;
        return writtenPos;
    }

    /**
     * Forces what was written so far to disk, if anything was written since the last time, and
     * closes the segments appends have moved on from. Runs on the syncer only (and in close()
     * once the syncer has stopped): it alone closes a segment, so none closes under its feet.
     */
    private void fsync() throws IOException {
        List<FileChannel> full;
        FileChannel written;
        synchronized (writeLock) {
            full = retired.isEmpty() ? List.of() : new ArrayList<>(retired);
            retired.clear();
            written = dirty ? current : null;
            dirty = false;
        }
        for (FileChannel segment : full) { // outside the lock, as below: appends go on meanwhile
            segment.force(false);
            segment.close();
        }
        if (!full.isEmpty()) { // a segment was created: make its directory entry durable too
            try (FileChannel dir = FileChannel.open(options.dir(), StandardOpenOption.READ)) {
                dir.force(true);
            } catch (IOException e) { // not every file system forces a directory; the data is forced
                log.warn("spool directory {} not forced: {}", options.dir(), e.toString());
            }
        }
        if (written != null) {
            written.force(false);
        }
    }

    /** Every fsync interval, forces what was appended meanwhile; never interrupted (that would close the file). */
    private void syncLoop() {
        try {
            while (!closing) {
                LockSupport.parkNanos(options.fsyncInterval().toNanos());
                fsync();
            }
        } catch (Throwable e) {
            if (writeFailure == null) {
                writeFailure = e;
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
                readerWaiting = true; // before looking again: an append after this look sees it
                try {
                    if (writtenPos <= from) {
                        appended.wait(waitMillis);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    readerWaiting = false;
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

    /** Refuses further appends, stops the syncer, fsyncs, checkpoints and unlocks. */
    @Override
    public void close() {
        synchronized (writeLock) {
            closing = true; // an append still in progress finishes first; later ones are refused
        }
        LockSupport.unpark(syncer);
        try {
            syncer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            checkpoint();
            if (readChannel != null) {
                readChannel.close();
            }
            synchronized (writeLock) {
                fsync(); // the syncer has stopped: the retired segments, and what it had not forced
                current.force(true);
                current.close();
            }
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
