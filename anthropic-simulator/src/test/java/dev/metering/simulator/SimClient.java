package dev.metering.simulator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A loopback HTTP/1.1 client for the simulator tests, and helpers to read what it answers. */
final class SimClient {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** Fast pace for tests: the rules are the same, only the delays shrink. */
    static final SimulatorOptions FAST = SimulatorOptions.defaults()
            .withFirstByteDelay(Duration.ofMillis(1))
            .withEventInterval(Duration.ofMillis(1));

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    private final URI base;

    SimClient(AnthropicSimulator simulator) {
        this.base = simulator.baseUrl();
    }

    HttpRequest.Builder post(String path, String body) {
        return HttpRequest.newBuilder(base.resolve(path))
                .timeout(REQUEST_TIMEOUT)
                .header("content-type", "application/json")
                .header("x-api-key", "sk-ant-test")
                .header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        return http.send(request, handler);
    }

    HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(REQUEST_TIMEOUT).GET().build());
    }

    /** A Messages API request body with one user message of {@code text}. */
    static String body(String text, int maxTokens, boolean stream) {
        return "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":" + maxTokens + ",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":" + quote(text) + "}]}";
    }

    static String quote(String s) {
        try {
            return MAPPER.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(String s) throws IOException {
        return MAPPER.readTree(s);
    }

    static JsonNode json(byte[] b) throws IOException {
        return MAPPER.readTree(b);
    }

    static SimulatedUsage usageOf(String body) throws IOException {
        return SimulatedUsage.forRequest(json(body));
    }

    /** One server-sent event. */
    record Event(String name, JsonNode data) {
    }

    /** Parses a complete, well-formed SSE body of {@code event:} and {@code data:} lines. */
    static List<Event> events(byte[] body) throws IOException {
        String text = new String(body, StandardCharsets.UTF_8);
        List<Event> events = new ArrayList<>();
        for (String block : text.split("\n\n")) {
            if (block.isEmpty()) {
                continue;
            }
            String[] lines = block.split("\n");
            if (lines.length != 2 || !lines[0].startsWith("event: ") || !lines[1].startsWith("data: ")) {
                throw new IllegalArgumentException("not an SSE event: " + block);
            }
            events.add(new Event(lines[0].substring("event: ".length()), json(lines[1].substring("data: ".length()))));
        }
        return events;
    }

    /** Reads up to and including the first blank line (the end of one event), at most 64 KiB. */
    static byte[] readOneEvent(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int previous = -1;
        for (int i = 0; i < 64 * 1024; i++) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("stream ended inside the first event: " + out);
            }
            out.write(b);
            if (b == '\n' && previous == '\n') {
                return out.toByteArray();
            }
            previous = b;
        }
        throw new IOException("no event end within 64 KiB");
    }

    /** Runs a blocking read on another thread and waits for it at most {@code limit}. */
    static <T> T within(Duration limit, Callable<T> task) throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            return executor.submit(task).get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            executor.shutdownNow();
        }
    }

    /** The bytes read until end of stream or failure, and the failure if any. */
    record Drained(byte[] bytes, IOException failure) {
    }

    static Drained drain(InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        try (in) {
            for (int reads = 0; reads < 100_000; reads++) {
                int n = in.read(buffer);
                if (n < 0) {
                    return new Drained(out.toByteArray(), null);
                }
                out.write(buffer, 0, n);
            }
            throw new IOException("more than 100000 reads without an end");
        } catch (IOException e) {
            return new Drained(out.toByteArray(), e);
        }
    }
}
