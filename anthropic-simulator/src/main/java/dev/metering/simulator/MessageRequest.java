package dev.metering.simulator;

import com.fasterxml.jackson.databind.JsonNode;

/** A Messages API request body that passed validation: the fields the simulator answers from. */
record MessageRequest(JsonNode json, String model, long maxTokens, boolean stream) {

    /** Validates a {@code /v1/messages} body, naming the first field that is wrong. */
    static MessageRequest validate(JsonNode json) throws InvalidRequestException {
        requireObject(json);
        String model = requireModel(json);
        JsonNode maxTokens = json.get("max_tokens");
        if (maxTokens == null || maxTokens.isNull()) {
            throw new InvalidRequestException("max_tokens: Field required");
        }
        if (!maxTokens.isIntegralNumber() || !maxTokens.canConvertToLong() || maxTokens.asLong() < 1) {
            throw new InvalidRequestException("max_tokens: Input should be an integer greater than or equal to 1");
        }
        requireMessages(json);
        JsonNode stream = json.get("stream");
        if (stream != null && !stream.isNull() && !stream.isBoolean()) {
            throw new InvalidRequestException("stream: Input should be a valid boolean");
        }
        return new MessageRequest(json, model, maxTokens.asLong(), stream != null && stream.asBoolean(false));
    }

    /** Validates a {@code /v1/messages/count_tokens} body: {@code model} and {@code messages}. */
    static void validateCountTokens(JsonNode json) throws InvalidRequestException {
        requireObject(json);
        requireModel(json);
        requireMessages(json);
    }

    /** Whether a body, valid or not, asks for a stream. */
    static boolean asksForStream(JsonNode json) {
        return json != null && json.path("stream").asBoolean(false) && json.path("stream").isBoolean();
    }

    private static void requireObject(JsonNode json) throws InvalidRequestException {
        if (json == null || !json.isObject()) {
            throw new InvalidRequestException("The request body must be a JSON object");
        }
    }

    private static String requireModel(JsonNode json) throws InvalidRequestException {
        JsonNode model = json.get("model");
        if (model == null || model.isNull()) {
            throw new InvalidRequestException("model: Field required");
        }
        if (!model.isTextual() || model.textValue().isEmpty()) {
            throw new InvalidRequestException("model: Input should be a non-empty string");
        }
        return model.textValue();
    }

    private static void requireMessages(JsonNode json) throws InvalidRequestException {
        JsonNode messages = json.get("messages");
        if (messages == null || messages.isNull()) {
            throw new InvalidRequestException("messages: Field required");
        }
        if (!messages.isArray()) {
            throw new InvalidRequestException("messages: Input should be a valid list");
        }
    }

    /** A request the real API would answer with 400 {@code invalid_request_error}. */
    static final class InvalidRequestException extends Exception {
        InvalidRequestException(String message) {
            super(message, null, false, false);
        }
    }
}
