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

    /**
     * Whether the harness samples the wait events of the benchmark's backends ({@code pg_stat_activity}, every
     * {@value WaitEventSampler#INTERVAL_MILLIS} ms) during each side's measured rounds, for the profile.
     */
    default boolean sampleWaitEvents() {
        return false;
    }

    /** Untimed preparation both sides need, run once before the warm-up. */
    default void setUp(Bench bench) throws Exception {}

    /** Releases what {@link #setUp} acquired (threads, connections); run once after the last round, even on failure. */
    default void tearDown(Bench bench) throws Exception {}

    /**
     * For a latency workload: the largest acceptable 99th percentile in milliseconds, which the table reports as met
     * or not; {@code null} for throughput workloads.
     */
    default @Nullable Double latencyTargetMillis() {
        return null;
    }

    /**
     * For a one-sided throughput workload: the name of an earlier workload of the run whose first side's median rate
     * the table shows beside this one, with the ratio of the two; {@code null} for none.
     */
    default @Nullable String comparedTo() {
        return null;
    }

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
     * @param latencies for a latency workload, where its rounds record one sample per event; the harness clears it
     *     after the warm-up and reports its percentiles over the measured rounds
     */
    record Side(String name, Round round, @Nullable LatencySamples latencies) {
        /** A throughput side. */
        Side(String name, Round round) {
            this(name, round, null);
        }
    }

    /** One round of a side. */
    @FunctionalInterface
    interface Round {
        /** Does the round's work and returns how many events it processed. */
        long run(Bench bench) throws Exception;
    }
}
