package io.nexus.benchmarks;

import io.nexus.eventstore.core.ExpectedVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;

/**
 * One event per transaction, a new stream each, from one writer or from {@value Bench#WRITERS} concurrent ones.
 * Nexus: one {@code append} (a single autocommit statement), the round waiting for the global order at its end.
 * Raw: BEGIN, INSERT, COMMIT with autocommit off.
 */
final class SingleAppend implements Workload {
    private final int writers;

    SingleAppend(int writers) {
        this.writers = writers;
    }

    @Override
    public String name() {
        return "single append, " + writers + (writers == 1 ? " writer" : " writers");
    }

    @Override
    public String description() {
        return "1 event per transaction, new stream each, " + writers + " thread(s); raw: BEGIN/INSERT/COMMIT";
    }

    @Override
    public Double target() {
        return writers == 1 ? 1.0 : 0.95;
    }

    @Override
    public List<Side> sides() {
        return List.of(
                new Side("nexus", bench -> {
                    long events = run(
                            bench,
                            () -> bench.store.append(
                                    bench.nextStream(), ExpectedVersion.noStream(), List.of(Payloads.newEvent())));
                    bench.store.headPosition(); // the ordering work is part of the cost
                    return events;
                }),
                new Side("raw", bench -> run(bench, () -> bench.raw.appendOne(bench.nextStream()))));
    }

    private interface Append {
        void once() throws Exception;
    }

    private long run(Bench bench, Append append) throws Exception {
        if (writers == 1) {
            int count = bench.sizes.singleAppendsPerRound();
            for (int i = 0; i < count; i++) {
                append.once();
            }
            return count;
        }
        int perWriter = bench.sizes.appendsPerWriterPerRound();
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            tasks.add(() -> {
                for (int i = 0; i < perWriter; i++) {
                    append.once();
                }
                return null;
            });
        }
        for (Future<Void> done : bench.writers.invokeAll(tasks)) {
            done.get();
        }
        return (long) writers * perWriter;
    }
}
