package io.nexus.benchmarks;

import java.util.List;

/**
 * The workloads of a run, in the order they run. The latency workloads go first, on an idle system with a small store
 * (a new durable subscription reads from the beginning); catch-up reads what the others wrote, and the projection
 * rebuild replays that same store and is shown beside the catch-up rate. Retention goes last: it loads and removes a
 * million events of its own.
 */
final class Workloads {
    private Workloads() {}

    static List<Workload> all() {
        return List.of(
                new CommitToHandler(false),
                new CommitToHandler(true),
                new BatchAppend(),
                new SingleAppend(1, true),
                new SingleAppend(4, true),
                new SingleAppend(Bench.WRITERS, true),
                new SingleAppend(1, false),
                new SingleAppend(4, false),
                new SingleAppend(Bench.WRITERS, false),
                new ReadStream(),
                new ReadStreamUpcast(),
                new ReadStreamPersonal(),
                new AggregateLoad(),
                new CatchUp(),
                new ProjectionRebuild(),
                new RetentionWorkload());
    }
}
