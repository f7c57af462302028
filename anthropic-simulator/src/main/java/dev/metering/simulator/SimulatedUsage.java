package dev.metering.simulator;

import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The token usage the simulator reports for a request, computed by a fixed rule so that tests can
 * predict it exactly:
 * <ul>
 * <li>{@code input_tokens} = max(1, ceil(C / 4)), where C is the number of characters (Unicode code
 * points) of all text in {@code system} and {@code messages}: {@code system} as a string, or the
 * {@code text} of its blocks of {@code "type": "text"}; each message's {@code content} as a string, or
 * the {@code text} of its blocks of {@code "type": "text"}. Other blocks count nothing.</li>
 * <li>{@code output_tokens} = min(max_tokens, 5 + (input_tokens % 23)); without a positive integer
 * {@code max_tokens} there is no cap.</li>
 * <li>{@code cache_creation_input_tokens} = input_tokens / 2 (integer division) if any object anywhere
 * inside {@code system} or {@code messages} has a {@code cache_control} field whose value is an object,
 * else 0.</li>
 * <li>{@code cache_read_input_tokens} = input_tokens / 3 (integer division) if
 * {@code metadata.user_id} is {@code "cache-hit"}, else 0.</li>
 * </ul>
 */
public final class SimulatedUsage {
    private final long inputTokens;
    private final long outputTokens;
    private final long cacheReadTokens;
    private final long cacheWriteTokens;

    private SimulatedUsage(long inputTokens, long outputTokens, long cacheReadTokens, long cacheWriteTokens) {
        this.inputTokens = inputTokens;
        this.outputTokens = outputTokens;
        this.cacheReadTokens = cacheReadTokens;
        this.cacheWriteTokens = cacheWriteTokens;
    }

    /** The usage of a Messages API request body, by the rule above. Any JSON is accepted. */
    public static SimulatedUsage forRequest(JsonNode request) {
        JsonNode system = request.path("system");
        JsonNode messages = request.path("messages");
        long chars = textLength(system);
        if (messages.isArray()) {
            for (JsonNode message : messages) {
                chars += textLength(message.path("content"));
            }
        }
        long input = Math.max(1, (chars + 3) / 4);
        long output = 5 + input % 23;
        JsonNode maxTokens = request.path("max_tokens");
        if (maxTokens.isIntegralNumber() && maxTokens.canConvertToLong() && maxTokens.asLong() >= 1) {
            output = Math.min(maxTokens.asLong(), output);
        }
        boolean cacheControl = hasCacheControl(system) || hasCacheControl(messages);
        long cacheWrite = cacheControl ? input / 2 : 0;
        boolean cacheHit = "cache-hit".equals(request.path("metadata").path("user_id").textValue());
        long cacheRead = cacheHit ? input / 3 : 0;
        return new SimulatedUsage(input, output, cacheRead, cacheWrite);
    }

    /** {@code input_tokens}. */
    public long inputTokens() {
        return inputTokens;
    }

    /** {@code output_tokens}. */
    public long outputTokens() {
        return outputTokens;
    }

    /** {@code cache_read_input_tokens}. */
    public long cacheReadTokens() {
        return cacheReadTokens;
    }

    /** {@code cache_creation_input_tokens}. */
    public long cacheWriteTokens() {
        return cacheWriteTokens;
    }

    private static long textLength(JsonNode content) {
        if (content.isTextual()) {
            return codePoints(content.textValue());
        }
        long chars = 0;
        if (content.isArray()) {
            for (JsonNode block : content) {
                if ("text".equals(block.path("type").textValue()) && block.path("text").isTextual()) {
                    chars += codePoints(block.path("text").textValue());
                }
            }
        }
        return chars;
    }

    private static long codePoints(String s) {
        return s.codePointCount(0, s.length());
    }

    private static boolean hasCacheControl(JsonNode node) {
        if (node.isObject()) {
            if (node.path("cache_control").isObject()) {
                return true;
            }
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                if (hasCacheControl(field.getValue())) {
                    return true;
                }
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                if (hasCacheControl(element)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SimulatedUsage u && inputTokens == u.inputTokens && outputTokens == u.outputTokens
                && cacheReadTokens == u.cacheReadTokens && cacheWriteTokens == u.cacheWriteTokens;
    }

    @Override
    public int hashCode() {
        return Objects.hash(inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens);
    }

    @Override
    public String toString() {
        return "SimulatedUsage[input=" + inputTokens + ", output=" + outputTokens + ", cacheRead=" + cacheReadTokens
                + ", cacheWrite=" + cacheWriteTokens + "]";
    }
}
