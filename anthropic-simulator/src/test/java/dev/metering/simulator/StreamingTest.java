package dev.metering.simulator;

import static dev.metering.simulator.SimClient.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;

class StreamingTest extends SimulatorTestBase {
    @Test
    void streamsTheEventsInOrderWithTheUsage() throws Exception {
        String request = body("Tell me a story about a lighthouse keeper and a very patient seagull.", 200, true);
        SimulatedUsage expected = SimClient.usageOf(request);
        HttpResponse<byte[]> response = client.send(client.post("/v1/messages", request).build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        assertThat(response.headers().firstValue("transfer-encoding")).hasValue("chunked");
        assertThat(response.headers().firstValue("cache-control")).hasValue("no-cache");
        assertThat(response.headers().firstValue("request-id")).get().asString().startsWith("req_sim_");

        List<SimClient.Event> events = SimClient.events(response.body());
        List<String> names = events.stream().map(SimClient.Event::name).toList();
        int deltas = (int) Math.min(expected.outputTokens(), 40);
        assertThat(names.subList(0, 3)).containsExactly("message_start", "content_block_start", "ping");
        assertThat(names.subList(3, 3 + deltas)).containsOnly("content_block_delta");
        assertThat(names.subList(3 + deltas, names.size()))
                .containsExactly("content_block_stop", "message_delta", "message_stop");
        for (SimClient.Event e : events) {
            assertThat(e.data().get("type").asText()).isEqualTo(e.name());
        }

        JsonNode message = events.get(0).data().get("message");
        assertThat(message.get("id").asText()).startsWith("msg_sim_");
        assertThat(message.get("model").asText()).isEqualTo("claude-sonnet-4-5");
        assertThat(message.get("content")).isEmpty();
        assertThat(message.get("stop_reason").isNull()).isTrue();
        assertThat(message.at("/usage/input_tokens").asLong()).isEqualTo(expected.inputTokens());
        assertThat(message.at("/usage/cache_creation_input_tokens").asLong()).isEqualTo(expected.cacheWriteTokens());
        assertThat(message.at("/usage/cache_read_input_tokens").asLong()).isEqualTo(expected.cacheReadTokens());
        assertThat(message.at("/usage/output_tokens").asLong()).isEqualTo(1);

        JsonNode messageDelta = events.get(names.size() - 2).data();
        assertThat(messageDelta.at("/delta/stop_reason").asText()).isEqualTo("end_turn");
        assertThat(messageDelta.at("/delta/stop_sequence").isNull()).isTrue();
        assertThat(messageDelta.at("/usage/output_tokens").asLong()).isEqualTo(expected.outputTokens());

        String text = events.stream().filter(e -> e.name().equals("content_block_delta"))
                .map(e -> e.data().at("/delta/text").asText()).collect(Collectors.joining());
        assertThat(text.split(" ")).hasSize((int) expected.outputTokens());
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains("data: {\"type\": \"ping\"}\n\n");

        Exchange exchange = simulator.exchanges().get(0);
        assertThat(exchange.stream()).isTrue();
        assertThat(exchange.status()).isEqualTo(200);
        assertThat(exchange.responseBody()).isEqualTo(response.body());
        assertThat(exchange.finished()).isTrue();
    }

    @Test
    void streamedTextEqualsTheNonStreamedText() throws Exception {
        String streamed = SimClient.events(client.send(client.post("/v1/messages", body("same", 30, true)).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body()).stream()
                .filter(e -> e.name().equals("content_block_delta"))
                .map(e -> e.data().at("/delta/text").asText()).collect(Collectors.joining());
        String whole = SimClient.json(client.send(client.post("/v1/messages", body("same", 30, false)).build()).body())
                .at("/content/0/text").asText();
        assertThat(streamed).isEqualTo(whole);
    }

    @Test
    void heldStreamsPauseAfterMessageStartUntilReleased() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        simulator.holdStreams(release);
        HttpResponse<InputStream> response = client.send(client.post("/v1/messages", body("hold me", 50, true)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        InputStream in = response.body();
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try {
            byte[] first = reader.submit(() -> SimClient.readOneEvent(in)).get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(new String(first, StandardCharsets.UTF_8)).startsWith("event: message_start\n");

            // Events are 1 ms apart; while held, nothing more may come within 150 ms.
            Future<Integer> nextByte = reader.submit(() -> in.read());
            assertThatThrownBy(() -> nextByte.get(150, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
            Exchange held = simulator.exchanges().get(0);
            assertThat(held.responseBody()).isEqualTo(first);
            assertThat(held.finished()).isFalse();

            release.complete(null);
            int b = nextByte.get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            SimClient.Drained rest = reader.submit(() -> SimClient.drain(in)).get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(rest.failure()).isNull();

            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.write(first);
            all.write(b);
            all.write(rest.bytes());
            List<String> names = SimClient.events(all.toByteArray()).stream().map(SimClient.Event::name).toList();
            assertThat(names).startsWith("message_start", "content_block_start", "ping")
                    .endsWith("content_block_stop", "message_delta", "message_stop");
            Exchange done = simulator.exchanges().get(0);
            assertThat(done.responseBody()).isEqualTo(all.toByteArray());
            assertThat(done.finished()).isTrue();
        } finally {
            reader.shutdownNow();
        }
    }

    @Test
    void clearedHoldLetsNewStreamsRun() throws Exception {
        simulator.holdStreams(new CompletableFuture<>());
        simulator.holdStreams(null);
        HttpResponse<byte[]> response = client.send(client.post("/v1/messages", body("free", 20, true)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(SimClient.events(response.body())).last().extracting(SimClient.Event::name).isEqualTo("message_stop");
    }

    @Test
    void aClientThatLeavesLeavesTheExchangeUnfinished() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        simulator.holdStreams(release);
        String message = body("bye", 50, true);
        String request = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\ncontent-type: application/json\r\n"
                + "content-length: " + message.length() + "\r\n\r\n" + message;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", simulator.port()), 2_000);
            socket.setSoTimeout(3_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            String head = readUntil(socket.getInputStream(), "\"type\":\"message_start\"");
            assertThat(head).startsWith("HTTP/1.1 200");
            socket.setSoLinger(true, 0); // leave abruptly: the server's next write fails at once
        }
        release.complete(null);
        // The simulator stops writing to the dead connection and keeps serving others.
        assertThat(client.get("/health").statusCode()).isEqualTo(200);
        Exchange exchange = simulator.exchanges().get(0);
        assertThat(exchange.finished()).isFalse();
        assertThat(exchange.responseText()).startsWith("event: message_start\n");
    }

    /** Reads until {@code marker} has been seen (bounded by the socket timeout and a size cap). */
    private static String readUntil(InputStream in, String marker) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < 64 * 1024; i++) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            out.write(b);
            if (out.toString(StandardCharsets.UTF_8).endsWith(marker)) {
                return out.toString(StandardCharsets.UTF_8);
            }
        }
        throw new IOException("no " + marker + " in " + out.toString(StandardCharsets.UTF_8));
    }
}
