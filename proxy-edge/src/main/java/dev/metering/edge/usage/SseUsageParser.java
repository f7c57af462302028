package dev.metering.edge.usage;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;

/**
 * Usage of a streaming (server-sent events) response, parsed incrementally as chunks pass. It
 * follows the SSE rules: events end at a blank line; lines end in LF, CR or CRLF; lines starting
 * with {@code :} are comments; several {@code data} lines of one event join with a newline. An
 * event may be split anywhere across chunks.
 *
 * <p>Only the {@code data} of {@code message_start}, {@code message_delta}, {@code message_stop}
 * and {@code error} events (or of events without a name) goes to the JSON scanner; the bulk of a
 * stream, {@code content_block_delta}, is skipped byte by byte without being copied.
 */
public final class SseUsageParser implements UsageParser {
    private static final int MAX_FIELD = 16;
    private static final int MAX_EVENT_NAME = 64;
    private static final byte[] NEWLINE = {'\n'};

    private enum State { LINE_START, FIELD, VALUE_START, VALUE }

    private enum Field { EVENT, DATA, OTHER }

    private final CapturedUsage usage = new CapturedUsage();
    private final UsageJsonScanner scanner = new UsageJsonScanner(usage);
    private final ChunkBytes bytes = new ChunkBytes();

    private State state = State.LINE_START;
    private boolean lastWasCr;
    private final byte[] fieldName = new byte[MAX_FIELD];
    private int fieldLength;
    private Field field;
    private final byte[] eventName = new byte[MAX_EVENT_NAME];
    private int eventNameLength;
    private boolean eventNameTooLong;
    private boolean dataSeen;
    private boolean eventWanted = true;

    @Override
    public void onChunk(ByteBuf chunk) {
        int n = chunk.readableBytes();
        if (n == 0) {
            return;
        }
        byte[] a = bytes.of(chunk);
        int start = bytes.offset();
        int end = start + n;
        int dataFrom = -1; // start of a data value run within this chunk
        for (int i = start; i < end; i++) {
            byte b = a[i];
            if (lastWasCr) {
                lastWasCr = false;
                if (b == '\n') {
                    continue; // the LF of a CRLF
                }
            }
            boolean eol = b == '\n' || b == '\r';
            if (b == '\r') {
                lastWasCr = true;
            }
            switch (state) {
                case LINE_START -> {
                    if (eol) {
                        dispatch();
                    } else if (b == ':') {
                        field = Field.OTHER; // a comment
                        state = State.VALUE;
                    } else {
                        fieldLength = 0;
                        appendField(b);
                        state = State.FIELD;
                    }
                }
                case FIELD -> {
                    if (eol) {
                        fieldDone();
                        state = State.LINE_START;
                    } else if (b == ':') {
                        fieldDone();
                        state = State.VALUE_START;
                    } else {
                        appendField(b);
                    }
                }
                case VALUE_START, VALUE -> {
                    if (state == State.VALUE_START) {
                        state = State.VALUE;
                        if (b == ' ') {
                            continue; // one space after the colon is not part of the value
                        }
                    }
                    if (eol) {
                        if (dataFrom >= 0) {
                            feedData(a, dataFrom, i);
                            dataFrom = -1;
                        }
                        if (field == Field.EVENT) {
                            eventWanted = wanted();
                        }
                        state = State.LINE_START;
                    } else if (field == Field.EVENT) {
                        appendEventName(b);
                    } else if (field == Field.DATA && dataFrom < 0) {
                        dataFrom = i;
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
        if (dataFrom >= 0) {
            feedData(a, dataFrom, end);
        }
    }

    private void appendField(byte b) {
        if (fieldLength < MAX_FIELD) {
            fieldName[fieldLength] = b;
        }
        fieldLength++;
    }

    private void fieldDone() {
        if (is("event")) {
            field = Field.EVENT;
            eventNameLength = 0;
            eventNameTooLong = false;
            eventWanted = true;
        } else if (is("data")) {
            field = Field.DATA;
            if (dataSeen && eventWanted) {
                scanner.feed(NEWLINE, 0, 1); // data lines of one event join with a newline
            }
            dataSeen = true;
        } else {
            field = Field.OTHER;
        }
    }

    private boolean is(String name) {
        if (fieldLength != name.length()) {
            return false;
        }
        for (int i = 0; i < fieldLength; i++) {
            if (fieldName[i] != name.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private void appendEventName(byte b) {
        if (eventNameLength < MAX_EVENT_NAME) {
            eventName[eventNameLength++] = b;
        } else {
            eventNameTooLong = true;
        }
    }

    /** Whether the event just named may carry usage; computed once per event line. */
    private boolean wanted() {
        if (eventNameLength == 0 && !eventNameTooLong) {
            return true; // unnamed: the type is inside the JSON
        }
        if (eventNameTooLong) {
            return false;
        }
        String name = new String(eventName, 0, eventNameLength, StandardCharsets.US_ASCII);
        return switch (name) {
            case "message_start", "message_delta", "message_stop", "error" -> true;
            default -> false;
        };
    }

    private void feedData(byte[] a, int from, int to) {
        if (eventWanted) {
            scanner.feed(a, from, to);
        }
    }

    private void dispatch() {
        if (scanner.started()) {
            scanner.endOfInput();
        }
        scanner.reset();
        eventNameLength = 0;
        eventNameTooLong = false;
        eventWanted = true;
        dataSeen = false;
    }

    @Override
    public void onEnd() {
        // An event not terminated by a blank line is dropped by the SSE rules, but its usage was
        // real: flush what was fed.
        if (state == State.VALUE || state == State.FIELD) {
            state = State.LINE_START;
        }
        if (scanner.started()) {
            scanner.endOfInput();
        }
    }

    @Override
    public CapturedUsage usage() {
        return usage;
    }
}
