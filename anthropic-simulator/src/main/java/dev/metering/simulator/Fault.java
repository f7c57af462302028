package dev.metering.simulator;

/**
 * A misbehaviour the simulator applies, instead of its normal answer, to one {@code POST /v1/messages}
 * request. Queue them with {@link AnthropicSimulator#enqueueFault(Fault)}; each request that arrives
 * takes the oldest queued fault, before authentication and validation are checked.
 */
public sealed interface Fault permits Fault.Status, Fault.Hang, Fault.CloseAfterEvents, Fault.Garbage {

    /**
     * Answer with this HTTP status and an Anthropic-style error body: 529 {@code overloaded_error},
     * 500 {@code api_error}, 429 {@code rate_limit_error}, 400 {@code invalid_request_error}, 401
     * {@code authentication_error}, 403 {@code permission_error}, 404 {@code not_found_error}, 413
     * {@code request_too_large}, anything else {@code api_error}.
     *
     * @param status an error status, 400-599
     */
    static Fault status(int status) {
        return new Status(status);
    }

    /** Read the request and never answer, keeping the connection open. */
    static Fault hang() {
        return new Hang();
    }

    /**
     * For a valid streaming request: send the response head and {@code events} SSE events, then close
     * the connection without ending the chunked body. For any other request: close the connection
     * without responding.
     *
     * @param events how many events to send, 0 or more
     */
    static Fault closeAfterEvents(int events) {
        return new CloseAfterEvents(events);
    }

    /**
     * Answer 200 {@code text/event-stream} with a body of garbage (random bytes, lines that are not SSE,
     * broken JSON in data lines, a last line without a newline), then end the response normally.
     */
    static Fault garbage() {
        return new Garbage();
    }

    /** See {@link Fault#status(int)}. */
    record Status(int status) implements Fault {
        public Status {
            if (status < 400 || status > 599) {
                throw new IllegalArgumentException("status " + status + " (expected: an error status 400-599)");
            }
        }
    }

    /** See {@link Fault#hang()}. */
    record Hang() implements Fault {
    }

    /** See {@link Fault#closeAfterEvents(int)}. */
    record CloseAfterEvents(int events) implements Fault {
        public CloseAfterEvents {
            if (events < 0) {
                throw new IllegalArgumentException("events " + events + " (expected: 0 or more)");
            }
        }
    }

    /** See {@link Fault#garbage()}. */
    record Garbage() implements Fault {
    }
}
