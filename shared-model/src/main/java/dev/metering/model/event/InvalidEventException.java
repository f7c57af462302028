package dev.metering.model.event;

/**
 * An event that is not valid usage v1. The message is the reason, naming the field; the consumer
 * puts it in the dead-letter record's header.
 */
public final class InvalidEventException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidEventException(String reason) {
        super(reason);
    }

    public InvalidEventException(String reason, Throwable cause) {
        super(reason, cause);
    }

    /** The reason, naming the offending field. */
    public String reason() {
        return getMessage();
    }
}
