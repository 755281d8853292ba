package io.nexus.benchmarks;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One measured workload: usually a Nexus side and a raw-JDBC baseline doing the same SQL work, reported as the ratio
 * of their median rates. Adding a workload is one class implementing this, listed in {@link Workloads#all()}.
 *
 * <p>The harness calls {@link #setUp} once (untimed), then runs warm-up and measured rounds of every side,
 * alternating which side goes first. A round returns how many events it processed; the harness times it.
 */
interface Workload {
    /** Short name for the table, such as {@code batch append}. */
    String name();

    /** One sentence on what both sides do. */
    String description();

    /** The minimum Nexus/raw ratio asked for; {@code null} when the workload has no raw side or no target. */
    default @Nullable Double target() {
        return null;
    }

    /** Untimed preparation both sides need, run once before the warm-up. */
    default void setUp(Bench bench) throws Exception {}

    /** The measured sides; with two, the first is Nexus and the second the raw baseline. */
    List<Side> sides();

    /** Warm-up rounds per side. */
    default int warmUpRounds(Sizes sizes) {
        return sizes.warmUpRounds();
    }

    /** Measured rounds per side. */
    default int rounds(Sizes sizes) {
        return sizes.rounds();
    }

    /**
     * One side of a workload.
     *
     * @param name {@code nexus} or {@code raw}, or a name of its own for one-sided workloads
     * @param round one round of work, returning how many events it processed
     */
    record Side(String name, Round round) {}

    /** One round of a side. */
    @FunctionalInterface
    interface Round {
        /** Does the round's work and returns how many events it processed. */
        long run(Bench bench) throws Exception;
    }
}
