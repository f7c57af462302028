package dev.metering.simulator;

import static dev.metering.simulator.SimClient.body;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;

class AnthropicSimulatorTest extends SimulatorTestBase {
    @Test
    void listensOnLoopback() {
        assertThat(simulator.port()).isPositive();
        assertThat(simulator.baseUrl().toString()).isEqualTo("http://127.0.0.1:" + simulator.port());
    }

    @Test
    void answersLikeTheRealApi() throws Exception {
        String request = body("What is the meaning of life? Answer in a few words.", 100, false);
        HttpResponse<byte[]> response = client.send(client.post("/v1/messages", request).build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(response.body().length);
        assertThat(response.headers().firstValue("request-id")).get().asString().startsWith("req_sim_");

        JsonNode json = SimClient.json(response.body());
        List<String> fields = new ArrayList<>();
        json.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("id", "type", "role", "model", "content", "stop_reason", "stop_sequence",
                "usage");
        assertThat(json.get("id").asText()).startsWith("msg_sim_");
        assertThat(json.get("type").asText()).isEqualTo("message");
        assertThat(json.get("role").asText()).isEqualTo("assistant");
        assertThat(json.get("model").asText()).isEqualTo("claude-sonnet-4-5");
        assertThat(json.get("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(json.get("stop_sequence").isNull()).isTrue();
        assertThat(json.get("content")).hasSize(1);
        assertThat(json.get("content").get(0).get("type").asText()).isEqualTo("text");

        SimulatedUsage expected = SimClient.usageOf(request);
        JsonNode usage = json.get("usage");
        List<String> usageFields = new ArrayList<>();
        usage.fieldNames().forEachRemaining(usageFields::add);
        assertThat(usageFields).containsExactly("input_tokens", "cache_creation_input_tokens",
                "cache_read_input_tokens", "output_tokens");
        assertThat(usage.get("input_tokens").asLong()).isEqualTo(expected.inputTokens());
        assertThat(usage.get("cache_creation_input_tokens").asLong()).isEqualTo(expected.cacheWriteTokens());
        assertThat(usage.get("cache_read_input_tokens").asLong()).isEqualTo(expected.cacheReadTokens());
        assertThat(usage.get("output_tokens").asLong()).isEqualTo(expected.outputTokens());
        assertThat(json.get("content").get(0).get("text").asText().split(" ")).hasSize((int) expected.outputTokens());

        assertThat(simulator.requestCount()).isEqualTo(1);
        Exchange exchange = simulator.exchanges().get(0);
        assertThat(exchange.requestId()).isEqualTo(response.headers().firstValue("request-id").orElseThrow());
        assertThat(exchange.requestBody()).isEqualTo(request.getBytes(StandardCharsets.UTF_8));
        assertThat(exchange.requestHeaders()).containsEntry("x-api-key", "sk-ant-test")
                .containsEntry("anthropic-version", "2023-06-01");
        assertThat(exchange.stream()).isFalse();
        assertThat(exchange.status()).isEqualTo(200);
        assertThat(exchange.responseBody()).isEqualTo(response.body());
        assertThat(exchange.finished()).isTrue();
    }

    @Test
    void stopsForMaxTokensWhenTheCapIsReached() throws Exception {
        HttpResponse<String> response = client.send(client.post("/v1/messages", body("hi", 1, false)).build());
        JsonNode json = SimClient.json(response.body());
        assertThat(json.get("stop_reason").asText()).isEqualTo("max_tokens");
        assertThat(json.at("/usage/output_tokens").asLong()).isEqualTo(1);
    }

    @Test
    void idsAreUniqueAndSnapshotsImmutable() throws Exception {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = client.send(
                    client.post("/v1/messages?beta=true", body("hello " + i, 50, false)).build());
            assertThat(response.statusCode()).isEqualTo(200);
            ids.add(SimClient.json(response.body()).get("id").asText());
        }
        assertThat(ids).hasSize(5);
        List<Exchange> exchanges = simulator.exchanges();
        assertThat(exchanges).hasSize(5);
        assertThat(exchanges).extracting(Exchange::requestId).doesNotHaveDuplicates();
        byte[] body = exchanges.get(0).responseBody();
        body[0] = 'X';
        assertThat(simulator.exchanges().get(0).responseBody()[0]).isEqualTo((byte) '{');
        assertThat(new String(exchanges.get(3).requestBody(), StandardCharsets.UTF_8)).contains("hello 3");
    }

    @Test
    void refusesAMissingKey() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(simulator.baseUrl().resolve("/v1/messages"))
                .timeout(SimClient.REQUEST_TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofString(body("hi", 10, false)))
                .build();
        HttpResponse<String> response = client.send(request);
        assertThat(response.statusCode()).isEqualTo(401);
        JsonNode json = SimClient.json(response.body());
        assertThat(json.get("type").asText()).isEqualTo("error");
        assertThat(json.at("/error/type").asText()).isEqualTo("authentication_error");
        assertThat(json.at("/error/message").asText()).isNotBlank();
        assertThat(simulator.exchanges().get(0).status()).isEqualTo(401);
    }

    @Test
    void acceptsABearerTokenInstead() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(simulator.baseUrl().resolve("/v1/messages"))
                .timeout(SimClient.REQUEST_TIMEOUT)
                .header("authorization", "Bearer anything")
                .POST(HttpRequest.BodyPublishers.ofString(body("hi", 10, false)))
                .build();
        assertThat(client.send(request).statusCode()).isEqualTo(200);
    }

    @Test
    void namesTheFieldThatIsWrong() throws Exception {
        assertInvalid("{\"model\":\"m\",\"messages\":[]}", "max_tokens");
        assertInvalid("{\"model\":\"m\",\"max_tokens\":0,\"messages\":[]}", "max_tokens");
        assertInvalid("{\"model\":\"m\",\"max_tokens\":\"10\",\"messages\":[]}", "max_tokens");
        assertInvalid("{\"max_tokens\":10,\"messages\":[]}", "model");
        assertInvalid("{\"model\":\"\",\"max_tokens\":10,\"messages\":[]}", "model");
        assertInvalid("{\"model\":\"m\",\"max_tokens\":10}", "messages");
        assertInvalid("{\"model\":\"m\",\"max_tokens\":10,\"messages\":\"hi\"}", "messages");
        assertInvalid("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[],\"stream\":\"yes\"}", "stream");
        assertInvalid("not json", "JSON object");
        assertInvalid("[1,2]", "JSON object");
    }

    private void assertInvalid(String requestBody, String named) throws Exception {
        HttpResponse<String> response = client.send(client.post("/v1/messages", requestBody).build());
        assertThat(response.statusCode()).as(requestBody).isEqualTo(400);
        JsonNode json = SimClient.json(response.body());
        assertThat(json.at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(json.at("/error/message").asText()).as(requestBody).contains(named);
    }

    @Test
    void unknownPathsAndMethods() throws Exception {
        HttpResponse<String> notFound = client.get("/v1/nothing?x=1");
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(SimClient.json(notFound.body()).at("/error/type").asText()).isEqualTo("not_found_error");
        assertThat(SimClient.json(notFound.body()).at("/error/message").asText()).isEqualTo("Not found: /v1/nothing");

        HttpResponse<String> wrongMethod = client.get("/v1/messages");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("allow")).hasValue("POST");
        assertThat(SimClient.json(wrongMethod.body()).at("/type").asText()).isEqualTo("error");
        assertThat(SimClient.json(wrongMethod.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(simulator.requestCount()).as("only POST /v1/messages counts").isZero();
    }

    @Test
    void health() throws Exception {
        HttpResponse<String> response = client.get("/health");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(SimClient.json(response.body()).get("status").asText()).isEqualTo("ok");
    }

    @Test
    void countsTokensByTheSameRule() throws Exception {
        String request = "{\"model\":\"m\",\"system\":\"" + "s".repeat(30) + "\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + "u".repeat(50) + "\"}]}";
        HttpResponse<String> response = client.send(client.post("/v1/messages/count_tokens", request).build());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(SimClient.json(response.body()).get("input_tokens").asLong()).isEqualTo(20);
        assertThat(simulator.requestCount()).isZero();

        HttpResponse<String> invalid = client.send(client.post("/v1/messages/count_tokens", "{\"model\":\"m\"}").build());
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(invalid.body()).contains("messages");
    }

    @Test
    void answersPipelinedRequestsInOrderAndHonoursConnectionClose() throws Exception {
        String message = body("pipelined", 20, false);
        String requests = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\ncontent-type: application/json\r\n"
                + "content-length: " + message.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + message
                + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        String answer;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", simulator.port()), 2_000);
            socket.setSoTimeout(3_000);
            OutputStream out = socket.getOutputStream();
            out.write(requests.getBytes(StandardCharsets.UTF_8));
            out.flush();
            answer = new String(readToEnd(socket.getInputStream()), StandardCharsets.UTF_8);
        }
        List<Integer> starts = new ArrayList<>();
        for (int at = answer.indexOf("HTTP/1.1 "); at >= 0 && starts.size() < 10; at = answer.indexOf("HTTP/1.1 ", at + 1)) {
            starts.add(at);
        }
        assertThat(starts).hasSize(3);
        String first = answer.substring(starts.get(0), starts.get(1));
        assertThat(first).startsWith("HTTP/1.1 200").contains("\"type\":\"message\"");
        assertThat(answer.substring(starts.get(1), starts.get(2))).startsWith("HTTP/1.1 200").contains("\"status\":\"ok\"");
        String last = answer.substring(starts.get(2));
        assertThat(last).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close").endsWith("{\"status\":\"ok\"}");
    }

    /** Reads until the server closes the connection (bounded by the socket timeout and a size cap). */
    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        for (int reads = 0; reads < 1_000; reads++) {
            int n = in.read(buffer);
            if (n < 0) {
                return out.toByteArray();
            }
            out.write(buffer, 0, n);
        }
        throw new IOException("the server did not close the connection");
    }

    @Test
    void closeIsIdempotentAndStopsListening() {
        int port = simulator.port();
        simulator.close();
        simulator.close();
        assertThat(canConnect(port)).isFalse();
    }

    private static boolean canConnect(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
