package dev.metering.edge.usage;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;

/**
 * Picks usage out of JSON fed in pieces, with Jackson's non-blocking parser, never holding the
 * bytes back. It takes {@code model} and {@code usage.*} at the top level (a Messages response,
 * a {@code message_delta} event) and {@code message.model} and {@code message.usage.*} (a
 * {@code message_start} event); everything else is tokenized and dropped.
 *
 * <p>Broken JSON never throws: the scanner marks itself failed and ignores input until
 * {@link #reset()}.
 */
final class UsageJsonScanner {
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(64)
                    .maxNumberLength(32)
                    .maxStringLength(32 * 1024 * 1024)
                    .build())
            .build();

    private final CapturedUsage usage;
    private JsonParser parser;
    private ByteArrayFeeder feeder;
    private int depth;
    private final String[] path = new String[4];
    private boolean failed;
    private boolean started;

    UsageJsonScanner(CapturedUsage usage) {
        this.usage = usage;
        reset();
    }

    /** Starts over with a fresh document. */
    void reset() {
        try {
            if (parser != null) {
                parser.close();
            }
            parser = JSON.createNonBlockingByteArrayParser();
        } catch (IOException e) {
            throw new IllegalStateException("Jackson cannot create a non-blocking parser", e);
        }
        feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
        depth = 0;
        failed = false;
        started = false;
        java.util.Arrays.fill(path, null);
    }

    /** Whether the scanner has seen input of the current document. */
    boolean started() {
        return started;
    }

    /** Feeds {@code buf[start, end)}; the bytes are consumed before this returns. */
    void feed(byte[] buf, int start, int end) {
        if (failed || start >= end) {
            return;
        }
        started = true;
        try {
            feeder.feedInput(buf, start, end);
            drain();
        } catch (IOException | RuntimeException e) {
            failed = true;
        }
    }

    /** Tells the parser the document is complete, so a trailing number is read. */
    void endOfInput() {
        if (failed || !started) {
            return;
        }
        try {
            feeder.endOfInput();
            drain();
        } catch (IOException | RuntimeException e) {
            failed = true;
        }
    }

    private void drain() throws IOException {
        JsonToken t;
        while ((t = parser.nextToken()) != null && t != JsonToken.NOT_AVAILABLE) {
            switch (t) {
                case START_OBJECT, START_ARRAY -> depth++;
                case END_OBJECT, END_ARRAY -> {
                    if (depth > 0 && depth <= path.length) {
                        path[depth - 1] = null;
                    }
                    depth--;
                }
                case FIELD_NAME -> {
                    if (depth >= 1 && depth <= path.length) {
                        path[depth - 1] = parser.currentName();
                    }
                }
                case VALUE_STRING -> onString(parser.getText());
                case VALUE_NUMBER_INT -> onInteger();
                default -> {
                    // other values carry nothing we meter
                }
            }
        }
    }

    private void onString(String value) {
        if (depth == 1 && "model".equals(path[0])) {
            usage.model(value);
        } else if (depth == 2 && "message".equals(path[0]) && "model".equals(path[1])) {
            usage.model(value);
        } else if (depth == 1 && "type".equals(path[0])) {
            if ("message_stop".equals(value)) {
                usage.messageStop();
            } else if ("error".equals(value)) {
                usage.errorEvent();
            }
        }
    }

    private void onInteger() throws IOException {
        if (parser.getNumberType() != JsonParser.NumberType.INT && parser.getNumberType() != JsonParser.NumberType.LONG) {
            return;
        }
        if (depth == 2 && "usage".equals(path[0])) {
            usage.usage(path[1], parser.getLongValue());
        } else if (depth == 3 && "message".equals(path[0]) && "usage".equals(path[1])) {
            usage.usage(path[2], parser.getLongValue());
        }
    }
}
