package dev.metering.edge.usage;

import dev.metering.model.money.TokenUsage;

/**
 * What a response said about its usage, gathered while its bytes passed through. Mutable and
 * confined to the upstream channel's event loop.
 */
public final class CapturedUsage {
    private String model;
    private long input;
    private long output;
    private long cacheRead;
    private long cacheWrite;
    private boolean sawUsage;
    private boolean sawMessageStop;
    private boolean sawErrorEvent;

    /** The model the response named, or null. */
    public String model() {
        return model;
    }

    public TokenUsage tokens() {
        return new TokenUsage(input, output, cacheRead, cacheWrite);
    }

    /** Whether any usage field was seen at all. */
    public boolean sawUsage() {
        return sawUsage;
    }

    /** Whether a stream reached {@code message_stop}. */
    public boolean sawMessageStop() {
        return sawMessageStop;
    }

    /** Whether a stream carried an {@code error} event. */
    public boolean sawErrorEvent() {
        return sawErrorEvent;
    }

    void model(String m) {
        if (m != null && !m.isEmpty() && m.length() <= 128) {
            model = m;
        }
    }

    /** Sets a usage field by its API name; counts are cumulative, so a later value replaces. */
    void usage(String field, long value) {
        if (value < 0) {
            return;
        }
        switch (field) {
            case "input_tokens" -> input = value;
            case "output_tokens" -> output = value;
            case "cache_read_input_tokens" -> cacheRead = value;
            case "cache_creation_input_tokens" -> cacheWrite = value;
            default -> {
                return;
            }
        }
        sawUsage = true;
    }

    void messageStop() {
        sawMessageStop = true;
    }

    void errorEvent() {
        sawErrorEvent = true;
    }

    @Override
    public String toString() {
        return "usage[model=" + model + ", in=" + input + ", out=" + output + ", cacheRead=" + cacheRead
                + ", cacheWrite=" + cacheWrite + "]";
    }
}
