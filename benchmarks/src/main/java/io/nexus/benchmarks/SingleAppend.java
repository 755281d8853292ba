package io.nexus.benchmarks;

import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;

/**
 * One event per transaction, a new stream each, from one writer or from several concurrent ones, with synchronous
 * commit on (the server's default) or off for every session of both sides. Nexus: one {@code append} (a single
 * autocommit statement), the round waiting for the global order at its end. Raw: BEGIN, INSERT, COMMIT with
 * autocommit off into the minimal {@link AppendBaseline} table. With several writers the harness samples the
 * backends' wait events.
 */
final class SingleAppend implements Workload {
    private final int writers;
    private final boolean synchronousCommit;
    private Bench.@Nullable SynchronousCommitOff asyncPool;

    SingleAppend(int writers, boolean synchronousCommit) {
        this.writers = writers;
        this.synchronousCommit = synchronousCommit;
    }

    @Override
    public String name() {
        return "single append, " + writers + (writers == 1 ? " writer" : " writers")
                + (synchronousCommit ? "" : ", synchronous_commit off");
    }

    @Override
    public String description() {
        return "1 event per transaction, new stream each, " + writers + " thread(s)"
                + (synchronousCommit ? "" : ", every session with synchronous_commit = off")
                + "; raw: BEGIN/INSERT/COMMIT into the minimal table";
    }

    @Override
    public Double target() {
        return 0.95;
    }

    @Override
    public boolean sampleWaitEvents() {
        return writers > 1;
    }

    @Override
    public void setUp(Bench bench) {
        if (!synchronousCommit) {
            asyncPool = bench.openSynchronousCommitOff();
        }
    }

    @Override
    public void tearDown(Bench bench) {
        if (asyncPool != null) {
            asyncPool.close();
            asyncPool = null;
        }
    }

    @Override
    public List<Side> sides() {
        return List.of(
                new Side("nexus", bench -> {
                    PostgresEventStore store = asyncPool == null ? bench.store : asyncPool.store();
                    long events = run(
                            bench,
                            () -> store.append(
                                    bench.nextStream(), ExpectedVersion.noStream(), List.of(Payloads.newEvent())));
                    store.headPosition(); // the ordering work is part of the cost
                    return events;
                }),
                new Side("raw", bench -> {
                    AppendBaseline baseline = asyncPool == null ? bench.baseline : asyncPool.baseline();
                    return run(bench, () -> baseline.appendOne(bench.nextStream()));
                }));
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
