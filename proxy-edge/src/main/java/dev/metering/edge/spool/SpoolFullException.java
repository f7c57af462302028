package dev.metering.edge.spool;

/** The spool holds as many undelivered bytes as it may; new calls must be refused (503). */
public final class SpoolFullException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SpoolFullException(long pendingBytes, long maxBytes) {
        super("usage spool is full: " + pendingBytes + " undelivered bytes (limit " + maxBytes + ")");
    }

    public SpoolFullException(String message) {
        super(message);
    }
}
