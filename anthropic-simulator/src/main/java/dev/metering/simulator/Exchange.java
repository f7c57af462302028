package dev.metering.simulator;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable snapshot of one {@code /v1/messages} exchange: what the simulator received and exactly the
 * response body bytes it had written when the snapshot was taken, so tests can compare what a client got
 * byte for byte. The byte arrays are copied in and out.
 *
 * @param requestId      the {@code request-id} the simulator assigned ({@code req_sim_...})
 * @param requestHeaders request headers, names lower-cased, repeated headers joined with {@code ", "}
 * @param requestBody    the request body as received
 * @param stream         whether the request body asked for {@code "stream": true}
 * @param status         the response status written, {@code 0} while (or if) none was written
 * @param responseBody   the response body bytes written so far (without chunked framing)
 * @param finished       whether the whole response was written
 */
public record Exchange(String requestId, Map<String, String> requestHeaders, byte[] requestBody, boolean stream,
        int status, byte[] responseBody, boolean finished) {

    public Exchange {
        Objects.requireNonNull(requestId, "requestId");
        requestHeaders = Map.copyOf(requestHeaders);
        requestBody = requestBody.clone();
        responseBody = responseBody.clone();
    }

    @Override
    public byte[] requestBody() {
        return requestBody.clone();
    }

    @Override
    public byte[] responseBody() {
        return responseBody.clone();
    }

    /** The response body decoded as UTF-8 (garbage bytes become replacement characters). */
    public String responseText() {
        return new String(responseBody, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Exchange e && requestId.equals(e.requestId) && requestHeaders.equals(e.requestHeaders)
                && Arrays.equals(requestBody, e.requestBody) && stream == e.stream && status == e.status
                && Arrays.equals(responseBody, e.responseBody) && finished == e.finished;
    }

    @Override
    public int hashCode() {
        return Objects.hash(requestId, requestHeaders, Arrays.hashCode(requestBody), stream, status,
                Arrays.hashCode(responseBody), finished);
    }

    @Override
    public String toString() {
        return "Exchange[requestId=" + requestId + ", stream=" + stream + ", status=" + status + ", requestBody="
                + requestBody.length + " bytes, responseBody=" + responseBody.length + " bytes, finished=" + finished
                + "]";
    }
}
