package dev.metering.consumer.ingest;

import java.util.Map;

/** Told after each committed batch which users it touched, and how far their partitions now are. */
@FunctionalInterface
public interface BatchListener {
    /** Everything of the user's partition before {@code nextOffset} is in the committed rollups. */
    record Watermark(int partition, long nextOffset) {
    }

    void committed(Map<String, Watermark> users);

    BatchListener NONE = users -> { };
}
