package dev.metering.consumer.ingest;

import java.util.Set;

/** Told after each committed batch which users it touched (quota state is published from here). */
@FunctionalInterface
public interface BatchListener {
    void committed(Set<String> users);

    BatchListener NONE = users -> { };
}
