package dev.metering.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;

/** What the test hooks set and read, shared by all connections of one simulator; thread-safe. */
final class SimulatorState {
    private final Queue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final AtomicReference<CompletableFuture<Void>> hold = new AtomicReference<>();
    private final List<ExchangeRecorder> exchanges = new ArrayList<>();
    private final Ids ids = new Ids();

    Ids ids() {
        return ids;
    }

    void enqueueFault(Fault fault) {
        faults.add(fault);
    }

    /** The oldest queued fault, removed, or {@code null}. */
    Fault takeFault() {
        return faults.poll();
    }

    void hold(CompletableFuture<Void> release) {
        hold.set(release);
    }

    /** The release a new stream must wait for after its first event, or {@code null}. */
    CompletableFuture<Void> currentHold() {
        return hold.get();
    }

    ExchangeRecorder begin(IncomingRequest request, boolean stream) {
        ExchangeRecorder recorder = new ExchangeRecorder(ids.requestId(), request, stream);
        synchronized (exchanges) {
            exchanges.add(recorder);
        }
        return recorder;
    }

    List<Exchange> exchanges() {
        List<ExchangeRecorder> recorders;
        synchronized (exchanges) {
            recorders = List.copyOf(exchanges);
        }
        return recorders.stream().map(ExchangeRecorder::snapshot).toList();
    }

    int requestCount() {
        synchronized (exchanges) {
            return exchanges.size();
        }
    }
}
