package io.nexus.benchmarks;

import java.util.List;

/** The workloads of a run, in the order they run. Catch-up goes last: it reads what the others wrote. */
final class Workloads {
    private Workloads() {}

    static List<Workload> all() {
        return List.of(
                new BatchAppend(),
                new SingleAppend(1),
                new SingleAppend(Bench.WRITERS),
                new ReadStream(),
                new CatchUp());
    }
}
