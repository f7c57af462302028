package dev.metering.simulator;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Error bodies shaped like the real API's: {@code {"type":"error","error":{"type":...,"message":...}}}. */
final class ErrorBodies {
    private ErrorBodies() {
    }

    /** An error body with the real API's error type for {@code status}. */
    static byte[] error(int status, String message) {
        return error(typeFor(status), message);
    }

    static byte[] error(String type, String message) {
        ObjectNode body = Json.object();
        body.put("type", "error");
        ObjectNode error = body.putObject("error");
        error.put("type", type);
        error.put("message", message);
        return Json.bytes(body);
    }

    /** The real API's error type for a status. */
    static String typeFor(int status) {
        return switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 529 -> "overloaded_error";
            default -> "api_error";
        };
    }

    /** A message for an injected status fault, like the real API's. */
    static String faultMessage(int status) {
        return switch (status) {
            case 529 -> "Overloaded";
            case 429 -> "Number of requests has exceeded your rate limit (simulated)";
            case 500 -> "Internal server error (simulated)";
            default -> "Simulated error " + status;
        };
    }
}
