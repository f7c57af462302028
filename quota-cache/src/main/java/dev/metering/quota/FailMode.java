package dev.metering.quota;

/** What admission does when quota state is older than the staleness bound. */
public enum FailMode {
    /** Admit the call, and count the decision as taken on stale state. */
    OPEN,
    /** Refuse the call with 503. */
    CLOSED
}
