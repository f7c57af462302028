package dev.metering.simulator;

import static dev.metering.simulator.SimClient.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;

class FaultsTest extends SimulatorTestBase {
    @Test
    void statusFaultsApplyOnePerRequestInOrder() throws Exception {
        simulator.enqueueFault(Fault.status(529));
        simulator.enqueueFault(Fault.status(429));
        simulator.enqueueFault(Fault.status(500));
        simulator.enqueueFault(Fault.status(400));
        simulator.enqueueFault(Fault.status(503));
        List<String> types = List.of("overloaded_error", "rate_limit_error", "api_error", "invalid_request_error",
                "api_error");
        int[] statuses = {529, 429, 500, 400, 503};
        for (int i = 0; i < statuses.length; i++) {
            HttpResponse<String> response = client.send(client.post("/v1/messages", body("hi", 10, false)).build());
            assertThat(response.statusCode()).isEqualTo(statuses[i]);
            assertThat(response.headers().firstValue("request-id")).isPresent();
            JsonNode json = SimClient.json(response.body());
            assertThat(json.get("type").asText()).isEqualTo("error");
            assertThat(json.at("/error/type").asText()).isEqualTo(types.get(i));
            assertThat(json.at("/error/message").asText()).isNotBlank();
        }
        assertThat(client.send(client.post("/v1/messages", body("hi", 10, false)).build()).statusCode())
                .as("the queue is empty again").isEqualTo(200);
        assertThat(simulator.exchanges()).extracting(Exchange::status).containsExactly(529, 429, 500, 400, 503, 200);
        assertThat(simulator.exchanges()).allMatch(Exchange::finished);
    }

    @Test
    void faultStatusMustBeAnError() {
        assertThatThrownBy(() -> Fault.status(200)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Fault.closeAfterEvents(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hangReadsTheRequestAndNeverAnswers() throws Exception {
        simulator.enqueueFault(Fault.hang());
        String request = body("anyone there?", 10, false);
        assertThatThrownBy(() -> client.send(client.post("/v1/messages", request)
                .timeout(Duration.ofMillis(500)).build())).isInstanceOf(HttpTimeoutException.class);

        Exchange hung = simulator.exchanges().get(0);
        assertThat(hung.requestBody()).isEqualTo(request.getBytes(StandardCharsets.UTF_8));
        assertThat(hung.status()).isZero();
        assertThat(hung.responseBody()).isEmpty();
        assertThat(hung.finished()).isFalse();
        assertThat(client.send(client.post("/v1/messages", request).build()).statusCode())
                .as("other connections are served").isEqualTo(200);
    }

    @Test
    void closeAfterEventsCutsAStream() throws Exception {
        simulator.enqueueFault(Fault.closeAfterEvents(2));
        HttpResponse<InputStream> response = client.send(client.post("/v1/messages", body("cut", 50, true)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        SimClient.Drained drained = SimClient.within(LIMIT, () -> SimClient.drain(response.body()));

        assertThat(drained.failure()).as("the body ends before its last chunk").isInstanceOf(IOException.class);
        assertThat(SimClient.events(drained.bytes())).extracting(SimClient.Event::name)
                .containsExactly("message_start", "content_block_start");
        Exchange exchange = simulator.exchanges().get(0);
        assertThat(exchange.stream()).isTrue();
        assertThat(exchange.status()).isEqualTo(200);
        assertThat(exchange.responseBody()).isEqualTo(drained.bytes());
        assertThat(exchange.finished()).isFalse();
    }

    @Test
    void closeAfterZeroEventsSendsOnlyTheHead() throws Exception {
        simulator.enqueueFault(Fault.closeAfterEvents(0));
        HttpResponse<InputStream> response = client.send(client.post("/v1/messages", body("cut", 50, true)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        SimClient.Drained drained = SimClient.within(LIMIT, () -> SimClient.drain(response.body()));
        assertThat(drained.failure()).isInstanceOf(IOException.class);
        assertThat(drained.bytes()).isEmpty();
    }

    @Test
    void closeAfterEventsClosesANonStreamingRequestWithoutAnswer() throws Exception {
        simulator.enqueueFault(Fault.closeAfterEvents(3));
        assertThatThrownBy(() -> client.send(client.post("/v1/messages", body("cut", 50, false)).build()))
                .isInstanceOf(IOException.class);
        Exchange exchange = simulator.exchanges().get(0);
        assertThat(exchange.status()).isZero();
        assertThat(exchange.finished()).isFalse();
    }

    @Test
    void garbageIsAWellEndedResponseOfNonsense() throws Exception {
        simulator.enqueueFault(Fault.garbage());
        HttpResponse<byte[]> response = client.send(client.post("/v1/messages", body("junk", 50, true)).build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        byte[] body = response.body();
        assertThat(body).isNotEmpty();
        assertThat(body[body.length - 1]).as("the last line has no newline").isNotEqualTo((byte) '\n');
        assertThatThrownBy(() -> SimClient.events(body)).as("not parseable as SSE")
                .isInstanceOfAny(IllegalArgumentException.class, IOException.class);
        String text = new String(body, StandardCharsets.ISO_8859_1);
        long brokenDataLines = text.lines().filter(l -> l.startsWith("data: {")).filter(l -> {
            try {
                SimClient.json(l.substring("data: ".length()));
                return false;
            } catch (IOException e) {
                return true;
            }
        }).count();
        assertThat(brokenDataLines).isGreaterThanOrEqualTo(2);

        Exchange exchange = simulator.exchanges().get(0);
        assertThat(exchange.responseBody()).isEqualTo(body);
        assertThat(exchange.finished()).isTrue();
        assertThat(client.send(client.post("/v1/messages", body("fine", 50, false)).build()).statusCode())
                .isEqualTo(200);
    }
}
