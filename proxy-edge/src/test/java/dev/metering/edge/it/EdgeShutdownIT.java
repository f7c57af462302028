package dev.metering.edge.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.metering.model.event.Outcome;
import dev.metering.model.event.UsageEvent;
import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestInfra;

/**
 * SIGTERM behaviour, observed from outside: the edge stops accepting, lets the stream in flight
 * finish, delivers its event to Kafka, and only then is done.
 */
class EdgeShutdownIT {

    @InfraTest
    void callInFlightAtShutdownIsCompletedAndMeteredBeforeTheEdgeCloses(TestInfra infra) throws Exception {
        EdgeFixture f = EdgeFixture.start(infra, Map.of("PROXY_DRAIN_TIMEOUT_MS", "20000"));
        try {
            CompletableFuture<Void> release = new CompletableFuture<>();
            f.sim.holdStreams(release);
            HttpRequest req = HttpRequest.newBuilder(f.url("/v1/messages"))
                    .header("x-api-key", EdgeFixture.KEYS.issue("alice"))
                    .header("x-matrix-session", "in-flight")
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(EdgeFixture.message("claude-sonnet-4-5", true, "long story")))
                    .build();
            HttpResponse<InputStream> res = f.http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            InputStream body = res.body();
            CompletableFuture.supplyAsync(() -> EdgeProxyIT.readUntilBlankLine(body)).get(10, TimeUnit.SECONDS);

            long[] closedAt = new long[1];
            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> {
                f.edge.close();
                closedAt[0] = System.nanoTime();
            });

            // 1. It stops accepting while the stream is still open.
            awaitRefused(f.edge.port());
            assertThat(shutdown).as("still draining the stream").isNotDone();

            // 2. The stream in flight finishes normally.
            release.complete(null);
            byte[] rest = body.readAllBytes();
            long streamDoneAt = System.nanoTime();
            assertThat(new String(rest, java.nio.charset.StandardCharsets.UTF_8)).contains("event: message_stop");

            // 3. Shutdown completes only after that, and its event is already in Kafka.
            shutdown.get(30, TimeUnit.SECONDS);
            assertThat(closedAt[0]).isGreaterThan(streamDoneAt);
            assertThat(f.edge.pendingSpoolBytes()).isZero();
            UsageEvent e = TopicEvents.exactly(f.bootstrap, f.topic, 1, Duration.ofSeconds(5)).get(0);
            assertThat(e.sessionId()).isEqualTo("in-flight");
            assertThat(e.outcome()).isEqualTo(Outcome.COMPLETED);
            assertThat(e.outputTokens()).isPositive();
        } finally {
            f.close();
        }
    }

    private static void awaitRefused(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                Thread.sleep(20);
            } catch (ConnectException refused) {
                return;
            } catch (java.io.IOException other) {
                return;
            }
        }
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }
}
