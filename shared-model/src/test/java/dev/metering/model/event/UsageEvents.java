package dev.metering.model.event;

import java.time.Instant;

/** Sample events for tests. */
final class UsageEvents {
    private UsageEvents() {
    }

    static UsageEvent sample() {
        return new UsageEvent("3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b", Instant.parse("2026-11-27T15:22:49.123Z"),
                "alice", "session-42", "claude-sonnet-4-5-20250929", 200, true, 120, 40, 10, 5, 982, "2025-10-01",
                "edge-1", 1834, Outcome.COMPLETED);
    }
}
