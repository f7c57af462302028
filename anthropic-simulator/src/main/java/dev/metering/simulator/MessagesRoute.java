package dev.metering.simulator;

import com.fasterxml.jackson.databind.JsonNode;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * {@code POST /v1/messages} and {@code POST /v1/messages/count_tokens}: faults first, then
 * authentication, validation, and the simulated answer, JSON or streamed.
 */
final class MessagesRoute {
    private static final Logger LOG = LoggerFactory.getLogger(MessagesRoute.class);
    static final String REQUEST_ID = "request-id";

    private final SimulatorOptions options;
    private final SimulatorState state;

    MessagesRoute(SimulatorOptions options, SimulatorState state) {
        this.options = options;
        this.state = state;
    }

    void messages(HttpCall call) {
        JsonNode json = Json.parseOrNull(call.request().body());
        ExchangeRecorder recorder = state.begin(call.request(), MessageRequest.asksForStream(json));
        HttpHeaders headers = new DefaultHttpHeaders().set(REQUEST_ID, recorder.requestId());
        Fault fault = state.takeFault();
        if (fault != null) {
            LOG.debug("applying {} to {}", fault, recorder.requestId());
            applyFault(fault, call, json, recorder, headers);
            return;
        }
        if (!authenticated(call)) {
            call.respondJson(HttpResponseStatus.UNAUTHORIZED,
                    ErrorBodies.error(401, "x-api-key header is required"), headers, recorder);
            return;
        }
        MessageRequest request;
        try {
            request = MessageRequest.validate(json);
        } catch (MessageRequest.InvalidRequestException e) {
            call.respondJson(HttpResponseStatus.BAD_REQUEST, ErrorBodies.error(400, e.getMessage()), headers,
                    recorder);
            return;
        }
        MessageBodies bodies = new MessageBodies(state.ids().messageId(), request,
                SimulatedUsage.forRequest(request.json()));
        if (request.stream()) {
            new StreamWriter(call, options, state, recorder, bodies.events(), -1).start();
        } else {
            call.after(options.firstByteDelay(),
                    () -> call.respondJson(HttpResponseStatus.OK, bodies.message(), headers, recorder));
        }
    }

    void countTokens(HttpCall call) {
        if (!authenticated(call)) {
            call.respondJson(HttpResponseStatus.UNAUTHORIZED,
                    ErrorBodies.error(401, "x-api-key header is required"), null, null);
            return;
        }
        JsonNode json = Json.parseOrNull(call.request().body());
        try {
            MessageRequest.validateCountTokens(json);
        } catch (MessageRequest.InvalidRequestException e) {
            call.respondJson(HttpResponseStatus.BAD_REQUEST, ErrorBodies.error(400, e.getMessage()), null, null);
            return;
        }
        byte[] body = Json.bytes(Json.object().put("input_tokens", SimulatedUsage.forRequest(json).inputTokens()));
        call.respondJson(HttpResponseStatus.OK, body, null, null);
    }

    private void applyFault(Fault fault, HttpCall call, JsonNode json, ExchangeRecorder recorder,
            HttpHeaders headers) {
        if (fault instanceof Fault.Status s) {
            call.respondJson(status(s.status()), ErrorBodies.error(s.status(), ErrorBodies.faultMessage(s.status())),
                    headers, recorder);
        } else if (fault instanceof Fault.Hang) {
            LOG.debug("hanging {} on {}", recorder.requestId(), call.channel());
        } else if (fault instanceof Fault.CloseAfterEvents c) {
            MessageRequest request = validStreamOrNull(json);
            if (request == null) {
                call.after(options.firstByteDelay(), () -> call.channel().close());
            } else {
                MessageBodies bodies = new MessageBodies(state.ids().messageId(), request,
                        SimulatedUsage.forRequest(json));
                new StreamWriter(call, options, state, recorder, bodies.events(), c.events()).start();
            }
        } else if (fault instanceof Fault.Garbage) {
            new StreamWriter(call, options, state, recorder, MessageBodies.garbage(), -1).start();
        } else {
            throw new IllegalStateException("unknown fault " + fault);
        }
    }

    private static MessageRequest validStreamOrNull(JsonNode json) {
        try {
            MessageRequest request = MessageRequest.validate(json);
            return request.stream() ? request : null;
        } catch (MessageRequest.InvalidRequestException e) {
            return null;
        }
    }

    private static boolean authenticated(HttpCall call) {
        return present(call.request().header("x-api-key")) || present(call.request().header("authorization"));
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }

    private static HttpResponseStatus status(int code) {
        return code == 529 ? new HttpResponseStatus(529, "Overloaded") : HttpResponseStatus.valueOf(code);
    }
}
