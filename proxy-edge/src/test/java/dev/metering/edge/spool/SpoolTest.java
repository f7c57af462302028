package dev.metering.edge.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
    @TempDir
    Path dir;

    private SpoolOptions options(long maxBytes, long segmentBytes) {
        return new SpoolOptions(dir, maxBytes, segmentBytes, Duration.ofMillis(20));
    }

    private static byte[] payload(int i) {
        return ("{\"n\":" + i + ",\"pad\":\"" + "x".repeat(100) + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> texts(Spool.Batch b) {
        return b.payloads().stream().map(p -> new String(p, StandardCharsets.UTF_8)).toList();
    }

    /** Everything from the acknowledged position to the end of what was written, across segments. */
    private static List<String> pending(Spool spool) throws IOException {
        List<String> out = new ArrayList<>();
        long pos = spool.ackedPosition();
        while (pos < spool.writtenPosition()) {
            Spool.Batch b = spool.read(pos, 300, 1 << 20, 0);
            out.addAll(texts(b));
            pos = b.endPos();
        }
        return out;
    }

    @Test
    void readsBackWhatWasAppendedInOrderAcrossSegments() throws Exception {
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            long end = spool.ackedPosition();
            for (int i = 0; i < 2000; i++) { // about four 64 KiB segments
                long before = end;
                end = spool.append(payload(i));
                assertThat(end - before).isEqualTo(SpoolRecordFormat.sizeOf(payload(i)));
            }
            assertThat(spool.writtenPosition()).isEqualTo(end);
            List<String> all = pending(spool);
            assertThat(all).hasSize(2000);
            for (int i = 0; i < 2000; i++) {
                assertThat(all.get(i)).isEqualTo(new String(payload(i), StandardCharsets.UTF_8));
            }
            assertThat(countSegments()).isGreaterThan(1);
        }
    }

    @Test
    void aReopenedSpoolResumesFromTheLastAcknowledgement() throws Exception {
        long acked;
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            for (int i = 0; i < 10; i++) {
                spool.append(payload(i));
            }
            Spool.Batch first = spool.read(spool.ackedPosition(), 4, 1 << 20, 0);
            spool.acknowledge(first.endPos());
            acked = first.endPos();
        }
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            assertThat(spool.ackedPosition()).isEqualTo(acked);
            Spool.Batch rest = spool.read(spool.ackedPosition(), 100, 1 << 20, 0);
            assertThat(texts(rest)).hasSize(6).first().asString().startsWith("{\"n\":4,");
        }
    }

    @Test
    void aTornTailIsCutOffAndEverythingBeforeItSurvives() throws Exception {
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            for (int i = 0; i < 3; i++) {
                spool.append(payload(i));
            }
        }
        appendTornRecord(segmentFiles().get(0));
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            assertThat(texts(spool.read(spool.ackedPosition(), 100, 1 << 20, 0))).hasSize(3);
            spool.append(payload(3));
            assertThat(texts(spool.read(spool.ackedPosition(), 100, 1 << 20, 0))).hasSize(4)
                    .last().asString().startsWith("{\"n\":3,");
        }
    }

    @Test
    void refusesNewCallsOnceUndeliveredBytesReachTheBoundAndAcceptsThemAfterDelivery() throws Exception {
        try (Spool spool = Spool.open(options(1 << 20, 64 << 10))) {
            spool.checkCapacity();
            byte[] big = new byte[60_000];
            while (spool.pendingBytes() < (1 << 20)) {
                spool.append(big);
            }
            assertThatThrownBy(spool::checkCapacity).isInstanceOf(SpoolFullException.class)
                    .hasMessageContaining("usage spool is full");
            spool.acknowledge(spool.writtenPosition());
            spool.checkCapacity();
            assertThat(spool.pendingBytes()).isZero();
        }
    }

    @Test
    void deliveredSegmentsAreDeleted() throws Exception {
        long before;
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            for (int i = 0; i < 3000; i++) {
                spool.append(payload(i));
            }
            before = countSegments();
            spool.acknowledge(spool.writtenPosition());
        } // close writes the final checkpoint and deletes what it covers
        assertThat(before).isGreaterThan(2);
        assertThat(countSegments()).isEqualTo(1);
        try (Spool reopened = Spool.open(options(8 << 20, 64 << 10))) {
            assertThat(reopened.pendingBytes()).isZero();
        }
    }

    @Test
    void appendsFromManyThreadsAtOnceAreAllKeptEachThreadsInItsOrder() throws Exception {
        int threads = 4; // as many as the edge has event loops on two cores
        int perThread = 5000; // about 26 bytes a record: 520 KB in all, eight 64 KiB segments

        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> appending = new ArrayList<>();
            Set<Long> ends = ConcurrentHashMap.newKeySet();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                appending.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                        ends.add(spool.append(("{\"t\":" + thread + ",\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
                    }
                    return null;
                }));
            }
            try {
                go.countDown();
                for (Future<?> f : appending) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdown(); // not shutdownNow: an interrupt must not hide a failure
            }
            int[] next = new int[threads];
            int records = 0;
            long pos = spool.ackedPosition();
            while (pos < spool.writtenPosition()) { // across segments rolled under concurrent appends
                Spool.Batch b = spool.read(pos, 1000, 1 << 20, 0);
                for (String text : texts(b)) {
                    int t = Integer.parseInt(text.substring(5, text.indexOf(',')));
                    assertThat(text).isEqualTo("{\"t\":" + t + ",\"i\":" + next[t] + "}");
                    next[t]++;
                    records++;
                }
                pos = b.endPos();
            }
            assertThat(records).isEqualTo(threads * perThread);
            // Each append returned the end of its own record: all different, the last one the end.
            assertThat(ends).hasSize(threads * perThread);
            assertThat(Collections.max(ends)).isEqualTo(spool.writtenPosition());
            assertThat(countSegments()).isGreaterThan(1);
        }
    }

    @Test
    void aTornTailOfAnEarlierSegmentIsCutOffToo() throws Exception {
        // After a power loss, a full segment may have lost its tail: the syncer forces it only
        // after appends moved on to the next one.
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            for (int i = 0; i < 1000; i++) {
                spool.append(payload(i));
            }
        }
        List<Path> segments = segmentFiles();
        assertThat(segments).hasSizeGreaterThan(1);
        appendTornRecord(segments.get(0));
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            List<String> all = pending(spool);
            assertThat(all).hasSize(1000);
            assertThat(all.get(999)).isEqualTo(new String(payload(999), StandardCharsets.UTF_8));
        }
    }

    @Test
    void theSyncerClosesSegmentsThatAppendsMovedOnFrom() throws Exception {
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            for (int i = 0; i < 3000; i++) { // about six segments
                spool.append(payload(i));
            }
            assertThat(countSegments()).isGreaterThan(2);
            // Only the current segment stays open: the retired ones were forced and closed.
            await().atMost(Duration.ofSeconds(10)).until(() -> openSegmentFiles() == 1);
        }
        assertThat(openSegmentFiles()).isZero();
    }

    @Test
    void anInterruptedThreadsAppendIsWrittenAndItsInterruptKept() throws Exception {
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            Thread.currentThread().interrupt();
            try {
                spool.append(payload(1)); // would close the file for every thread if it let the interrupt through
            } finally {
                assertThat(Thread.interrupted()).isTrue();
            }
            spool.append(payload(2));
            spool.checkCapacity();
            assertThat(texts(spool.read(spool.ackedPosition(), 10, 1 << 20, 0))).containsExactly(
                    new String(payload(1), StandardCharsets.UTF_8), new String(payload(2), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aCheckpointInALaterSegmentAndATornTailThereAreBothHonouredOnReopening() throws Exception {
        long acked;
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            for (int i = 0; i < 1500; i++) { // about three segments
                spool.append(payload(i));
            }
            long pos = spool.ackedPosition();
            for (int i = 0; i < 1000; i++) { // delivered into the last segment
                pos = spool.read(pos, 1, 1 << 20, 0).endPos();
            }
            acked = pos;
            spool.acknowledge(acked);
        }
        List<Path> segments = segmentFiles();
        assertThat(segments).isNotEmpty(); // the delivered ones before the checkpoint's own were deleted
        appendTornRecord(segments.get(segments.size() - 1));
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            assertThat(spool.ackedPosition()).isEqualTo(acked);
            List<String> rest = pending(spool);
            assertThat(rest).hasSize(500).first().asString().startsWith("{\"n\":1000,");
        }
    }

    @Test
    void aWaitingReadWakesForAnAppend() throws Exception {
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            long from = spool.writtenPosition();
            CompletableFuture<Spool.Batch> read = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try {
                    read.complete(spool.read(from, 10, 1 << 20, TimeUnit.MINUTES.toMillis(5)));
                } catch (IOException | RuntimeException e) {
                    read.completeExceptionally(e);
                }
            }, "test-reader");
            reader.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> reader.getState() == Thread.State.TIMED_WAITING);
            spool.append(payload(7));
            // Woken by the append, not by the end of its five minutes.
            assertThat(texts(read.get(10, TimeUnit.SECONDS))).containsExactly(new String(payload(7), StandardCharsets.UTF_8));
        }
    }

    @Test
    void closeStopsTheSyncerKeepsWhatWasWrittenAndRefusesLaterAppends() throws Exception {
        Spool closed;
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            spool.append(payload(1));
            assertThat(spoolThreads()).containsExactly("spool-syncer");
            closed = spool;
        }
        assertThat(spoolThreads()).isEmpty();
        assertThatThrownBy(() -> closed.append(payload(2))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        try (Spool reopened = Spool.open(options(8 << 20, 64 << 10))) {
            assertThat(texts(reopened.read(reopened.ackedPosition(), 10, 1 << 20, 0)))
                    .containsExactly(new String(payload(1), StandardCharsets.UTF_8));
        }
    }

    /** This process's open files among the spool's segments (Linux: {@code /proc/self/fd}). */
    private long openSegmentFiles() throws IOException {
        Path realDir = dir.toRealPath();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd);
                } catch (IOException e) {
                    return Path.of(""); // closed meanwhile
                }
            }).filter(target -> target.startsWith(realDir) && target.toString().endsWith(".spool")).count();
        }
    }

    private static List<String> spoolThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("spool-")).toList();
    }

    @Test
    void aSecondProcessCannotShareTheDirectory() throws IOException {
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            assertThatThrownBy(() -> Spool.open(options(8 << 20, 64 << 10)))
                    .isInstanceOf(RuntimeException.class);
        }
    }

    /** The spool's segment files, in the order of their positions. */
    private List<Path> segmentFiles() throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".spool")).sorted().toList();
        }
    }

    private long countSegments() throws IOException {
        return segmentFiles().size();
    }

    /** A record whose write was cut short: a header promising 500 bytes, and 10 of them. */
    private static void appendTornRecord(Path segment) throws IOException {
        byte[] torn = new byte[18];
        torn[3] = (byte) 0xF4;
        torn[2] = 0x01;
        Files.write(segment, torn, StandardOpenOption.APPEND);
    }
}
