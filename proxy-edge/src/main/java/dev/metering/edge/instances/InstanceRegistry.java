package dev.metering.edge.instances;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.metering.model.kafka.CompactedTopicFollower;

/**
 * Every edge's view of the instance registry, fed by the compacted instances topic: a
 * registration or deletion made at any edge reaches all of them. Thread-safe.
 */
public final class InstanceRegistry implements CompactedTopicFollower.Handler {
    private final ConcurrentHashMap<String, Instance> byHandle = new ConcurrentHashMap<>();
    private volatile boolean loaded;

    @Override
    public void record(String handle, byte[] value) {
        if (handle == null) {
            return;
        }
        if (value == null) {
            byHandle.remove(handle);
        } else {
            byHandle.put(handle, Instance.decode(value));
        }
    }

    @Override
    public void caughtUp() {
        loaded = true;
    }

    public boolean loaded() {
        return loaded;
    }

    Optional<Instance> get(String handle) {
        return Optional.ofNullable(byHandle.get(handle));
    }

    /** Applies this edge's own change at once, before the topic brings it back. */
    void put(Instance i) {
        byHandle.put(i.handle(), i);
    }

    void remove(String handle) {
        byHandle.remove(handle);
    }

    List<Instance> list() {
        return byHandle.values().stream().sorted(Comparator.comparing(Instance::handle)).toList();
    }

    int size() {
        return byHandle.size();
    }
}
