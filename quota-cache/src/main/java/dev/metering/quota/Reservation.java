package dev.metering.quota;

/** A call's estimated cost, held against its user's limits while the call runs. */
public final class Reservation {
    final String userId;
    final long estimateMicros;
    boolean open = true;

    Reservation(String userId, long estimateMicros) {
        this.userId = userId;
        this.estimateMicros = estimateMicros;
    }

    public String userId() {
        return userId;
    }

    public long estimateMicros() {
        return estimateMicros;
    }
}
