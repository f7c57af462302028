package dev.metering.edge.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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

    @Test
    void readsBackWhatWasAppendedInOrderAcrossSegments() throws Exception {
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            // Ten rounds, each made durable before the next: a segment rolls between write
            // batches, and one round of 200 is a quarter of a 64 KiB segment.
            for (int round = 0; round < 10; round++) {
                List<CompletableFuture<Long>> done = new ArrayList<>();
                for (int i = round * 200; i < (round + 1) * 200; i++) {
                    done.add(spool.append(payload(i)));
                }
                CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            }
            List<String> all = new ArrayList<>();
            long pos = spool.ackedPosition();
            while (pos < spool.writtenPosition()) {
                Spool.Batch b = spool.read(pos, 300, 1 << 20, 0);
                all.addAll(texts(b));
                pos = b.endPos();
            }
            assertThat(all).hasSize(2000);
            for (int i = 0; i < 2000; i++) {
                assertThat(all.get(i)).isEqualTo(new String(payload(i), StandardCharsets.UTF_8));
            }
            assertThat(Files.list(dir).filter(p -> p.toString().endsWith(".spool")).count()).isGreaterThan(1);
        }
    }

    @Test
    void aReopenedSpoolResumesFromTheLastAcknowledgement() throws Exception {
        long acked;
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            for (int i = 0; i < 10; i++) {
                spool.append(payload(i)).get(5, TimeUnit.SECONDS);
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
                spool.append(payload(i)).get(5, TimeUnit.SECONDS);
            }
        }
        Path segment;
        try (var files = Files.list(dir)) {
            segment = files.filter(p -> p.toString().endsWith(".spool")).findFirst().orElseThrow();
        }
        // A record whose write was cut short: a header promising 500 bytes, and 10 of them.
        byte[] torn = new byte[18];
        torn[3] = (byte) 0xF4;
        torn[2] = 0x01;
        Files.write(segment, torn, StandardOpenOption.APPEND);
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            assertThat(texts(spool.read(spool.ackedPosition(), 100, 1 << 20, 0))).hasSize(3);
            spool.append(payload(3)).get(5, TimeUnit.SECONDS);
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
                spool.append(big).get(5, TimeUnit.SECONDS);
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
            for (int round = 0; round < 30; round++) {
                CompletableFuture<Long> last = null;
                for (int i = 0; i < 100; i++) {
                    last = spool.append(payload(i));
                }
                last.get(10, TimeUnit.SECONDS);
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
        // About 26 bytes a record: 520 KB in all. A segment rolls when a write batch (at most 4096
        // records, about 110 KB) starts on a full one, so at least one roll happens well before the end.
        int perThread = 5000;
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<CompletableFuture<Long>>>> appending = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                appending.add(pool.submit(() -> {
                    go.await();
                    List<CompletableFuture<Long>> done = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        done.add(spool.append(("{\"t\":" + thread + ",\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
                    }
                    return done;
                }));
            }
            try {
                go.countDown();
                for (Future<List<CompletableFuture<Long>>> f : appending) {
                    for (CompletableFuture<Long> done : f.get(30, TimeUnit.SECONDS)) {
                        done.get(30, TimeUnit.SECONDS);
                    }
                }
            } finally {
                pool.shutdownNow();
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
            assertThat(countSegments()).isGreaterThan(1);
        }
    }

    @Test
    void closeStopsBothThreadsAndKeepsWhatWasWritten() throws Exception {
        try (Spool spool = Spool.open(options(8 << 20, 64 << 10))) {
            spool.append(payload(1)).get(10, TimeUnit.SECONDS);
            assertThat(spoolThreads()).contains("spool-writer", "spool-syncer");
        }
        assertThat(spoolThreads()).isEmpty();
        try (Spool reopened = Spool.open(options(8 << 20, 64 << 10))) {
            assertThat(texts(reopened.read(reopened.ackedPosition(), 10, 1 << 20, 0)))
                    .containsExactly(new String(payload(1), StandardCharsets.UTF_8));
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

    private long countSegments() throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".spool")).count();
        }
    }
}
