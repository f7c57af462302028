package dev.metering.distro.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import dev.metering.infra.FreePorts;

/**
 * The long part of the reliability suite ({@code ./mvnw verify -Preliability}): the broker and
 * database killed with SIGKILL under load and restarted on the same ports and data, and Kafka
 * frozen for 30 s under load. Same ledger check and table as the quick part.
 */
class ReliabilityLongIT extends ReliabilitySuite {
    ReliabilityLongIT() {
        super("reliability-long.md");
    }

    /** Load spread over about {@code seconds}: calls in a few threads with pauses between them. */
    private CompletableFuture<Void> paced(Calls calls, int count, int seconds) {
        return CompletableFuture.runAsync(() -> {
            long pause = TimeUnit.SECONDS.toMillis(seconds) * 4 / count;
            List<CompletableFuture<Void>> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int first = t;
                threads.add(CompletableFuture.runAsync(() -> {
                    for (int i = first; i < count; i += 4) {
                        calls.one(edgePort, i, i % 3 == 0);
                        try {
                            Thread.sleep(pause);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }));
            }
            CompletableFuture.allOf(threads.toArray(CompletableFuture[]::new)).join();
        });
    }

    @Test
    @Order(1)
    void brokerAndDatabaseKilledAndRestartedUnderLoad() throws Exception {
        Calls calls = new Calls("infra-kill");
        CompletableFuture<Void> load = paced(calls, 400, 25);
        Thread.sleep(5000);
        long postmaster = Long.parseLong(Files.readAllLines(cluster.data.resolve("postgres").resolve("postmaster.pid"))
                .get(0).trim());
        cluster.infra.kill();
        ProcessHandle.of(postmaster).ifPresent(ProcessHandle::destroyForcibly); // not a child: it survives the JVM
        Thread.sleep(3000);
        cluster.startInfra(); // same ports, same data
        load.get(5, TimeUnit.MINUTES);
        record(LedgerCheck.run(cluster, calls, Duration.ofSeconds(240)));
    }

    @Test
    @Order(2)
    void kafkaUnreachableForThirtySecondsUnderLoad() throws Exception {
        Calls calls = new Calls("kafka-frozen");
        CompletableFuture<Void> load = paced(calls, 400, 45);
        Thread.sleep(5000);
        cluster.infra.signal("STOP"); // the broker freezes; PostgreSQL runs on
        Thread.sleep(30_000);
        cluster.infra.signal("CONT");
        load.get(5, TimeUnit.MINUTES);
        assertThat(calls.completedCount()).as("calls succeed while Kafka is away").isGreaterThan(300);
        record(LedgerCheck.run(cluster, calls, Duration.ofSeconds(240)));
    }
}
