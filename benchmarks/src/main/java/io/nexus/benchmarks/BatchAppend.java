package io.nexus.benchmarks;

import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * 100 events per transaction, a new stream each. Nexus: one {@code append} (one call of {@code append_to_stream}),
 * then the global order is assigned by the sequencer, which the round waits for. Raw: 100 {@code addBatch} rows sent
 * as rewritten multi-row INSERTs into the minimal {@link AppendBaseline} table, then COMMIT.
 */
final class BatchAppend implements Workload {
    static final int BATCH = 100;

    @Override
    public String name() {
        return "batch append";
    }

    @Override
    public String description() {
        return BATCH
                + " events per transaction, new stream each; raw: addBatch with reWriteBatchedInserts into the minimal"
                + " table";
    }

    @Override
    public Double target() {
        return 0.9;
    }

    @Override
    public List<Side> sides() {
        return List.of(new Side("nexus", BatchAppend::nexus), new Side("raw", BatchAppend::raw));
    }

    private static long nexus(Bench bench) {
        int batches = bench.sizes.batchesPerRound();
        for (int b = 0; b < batches; b++) {
            List<NewEvent> events = new ArrayList<>(BATCH);
            for (int i = 0; i < BATCH; i++) {
                events.add(Payloads.newEvent());
            }
            bench.store.append(bench.nextStream(), ExpectedVersion.noStream(), events);
        }
        bench.store.headPosition(); // the ordering work is part of the cost
        return (long) batches * BATCH;
    }

    private static long raw(Bench bench) throws Exception {
        int batches = bench.sizes.batchesPerRound();
        for (int b = 0; b < batches; b++) {
            bench.baseline.appendBatch(bench.nextStream(), BATCH);
        }
        return (long) batches * BATCH;
    }
}
