package dev.metering.consumer.ingest;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The consumer's metrics: lag, batch size, commit time, rows written, duplicates, dead letters.
 * One instance serves every batch loop of a consumer; the lag gauge is their sum.
 */
public final class IngestMetrics {
    private final List<AtomicLong> lags = new CopyOnWriteArrayList<>();
    private final DistributionSummary batchSize;
    private final Timer commitTime;
    private final Counter rows;
    private final Counter duplicates;
    private final Counter deduplicatedBatches;
    private final Counter deadLetters;
    private final Counter dbFailures;

    public IngestMetrics(MeterRegistry registry) {
        Gauge.builder("metering_consumer_lag_records", this, m -> m.lags.stream().mapToLong(AtomicLong::get).sum())
                .description("Usage events not yet consumed, over this consumer's partitions").register(registry);
        batchSize = DistributionSummary.builder("metering_consumer_batch_size")
                .description("Events per committed batch").publishPercentileHistogram().register(registry);
        commitTime = Timer.builder("metering_consumer_commit")
                .description("Time to write and commit one batch").publishPercentileHistogram().register(registry);
        rows = Counter.builder("metering_consumer_rows_inserted")
                .description("Ledger rows inserted (rate: rows per second)").register(registry);
        duplicates = Counter.builder("metering_consumer_duplicates")
                .description("Events skipped because their event id was already in the ledger").register(registry);
        deduplicatedBatches = Counter.builder("metering_consumer_deduplicated_batches")
                .description("Batches with an event already in the ledger (an edge re-sent it), so PostgreSQL "
                        + "picked out the new ones").register(registry);
        deadLetters = Counter.builder("metering_consumer_dlq")
                .description("Invalid events sent to the dead-letter topic").register(registry);
        dbFailures = Counter.builder("metering_consumer_db_failures")
                .description("Batch writes that failed and were retried").register(registry);
    }

    /** Where one batch loop keeps its lag. */
    AtomicLong lagOfOneLoop() {
        AtomicLong lag = new AtomicLong();
        lags.add(lag);
        return lag;
    }

    void committed(int events, dev.metering.consumer.db.LedgerWriter.Result result, Duration took) {
        batchSize.record(events);
        commitTime.record(took);
        rows.increment(result.inserted());
        duplicates.increment(result.duplicates());
        if (result.deduplicated()) {
            deduplicatedBatches.increment();
        }
    }

    void deadLettered(int n) {
        deadLetters.increment(n);
    }

    void dbFailure() {
        dbFailures.increment();
    }
}
