package dev.metering.simulator;

import java.io.ByteArrayOutputStream;
import java.util.Map;

/**
 * The growing record of one exchange. The writing side appends each piece of body before handing it to
 * the channel, so a client never sees bytes that the record does not have yet.
 */
final class ExchangeRecorder {
    private final String requestId;
    private final Map<String, String> requestHeaders;
    private final byte[] requestBody;
    private final boolean stream;
    private final ByteArrayOutputStream responseBody = new ByteArrayOutputStream();
    private int status;
    private boolean finished;

    ExchangeRecorder(String requestId, IncomingRequest request, boolean stream) {
        this.requestId = requestId;
        this.requestHeaders = request.headers();
        this.requestBody = request.body();
        this.stream = stream;
    }

    String requestId() {
        return requestId;
    }

    synchronized void status(int code) {
        this.status = code;
    }

    synchronized void append(byte[] bytes) {
        responseBody.writeBytes(bytes);
    }

    synchronized void finished(boolean done) {
        this.finished = done;
    }

    synchronized Exchange snapshot() {
        return new Exchange(requestId, requestHeaders, requestBody, stream, status, responseBody.toByteArray(),
                finished);
    }
}
