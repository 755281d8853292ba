package io.nexus.benchmarks;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The records a run produces; written as JSON as they are. */
final class Results {
    private Results() {}

    /**
     * One run.
     *
     * @param startedAt ISO instant
     * @param mode {@code full} or {@code quick}
     * @param machine cores, CPU, OS, JVM and heap limit
     * @param database server version and the settings that matter for throughput
     * @param payloadBytes the JSON size of the payload every event carries
     * @param metadataBytes the JSON size of its metadata
     * @param sizes how much work each round did
     * @param workloads one result per workload, in run order
     * @param walProfile WAL written per single-event append by each side, or {@code null} when not measured
     */
    record Run(
            String startedAt,
            String mode,
            Map<String, String> machine,
            Map<String, String> database,
            int payloadBytes,
            int metadataBytes,
            Sizes sizes,
            List<WorkloadResult> workloads,
            @Nullable WalProfile walProfile) {}

    /**
     * What one single-event append writes to the WAL, Nexus beside the append baseline, from {@code pg_stat_wal}.
     *
     * @param appendsPerRun single-event appends, one writer, in each measured run of each side
     * @param runs measured runs per side, alternating sides
     * @param nexus Nexus's WAL per append, the sequencer's runs included
     * @param raw the append baseline's WAL per append
     * @param pgStatStatements whether {@code pg_stat_statements} is installed in the database, and if not, that it was
     *     not used
     * @param method how the numbers were taken, and what they can and cannot tell
     */
    record WalProfile(int appendsPerRun, int runs, Wal nexus, Wal raw, String pgStatStatements, String method) {}

    /**
     * WAL per append of one side: each figure is the lowest over the runs (WAL of other databases of the cluster
     * can only add to it), with every run's records and bytes per append beside it.
     *
     * @param records WAL records per append
     * @param bytes WAL bytes per append
     * @param fullPageImages full-page images per append
     * @param syncs WAL syncs (flushes to disk) per append
     * @param recordsPerRun WAL records per append of each run
     * @param bytesPerRun WAL bytes per append of each run
     */
    record Wal(
            double records,
            double bytes,
            double fullPageImages,
            double syncs,
            List<Double> recordsPerRun,
            List<Double> bytesPerRun) {}

    /**
     * Wait events of the benchmark's backends sampled during one side's measured rounds.
     *
     * @param samples how many samples were taken
     * @param intervalMillis the time between two samples
     * @param backends per {@code wait_event_type:wait_event} ({@code CPU} when running, {@code idle in transaction}
     *     when waiting for the client inside a transaction), the average number of backends in it per sample, most
     *     frequent first
     */
    record WaitEvents(long samples, int intervalMillis, Map<String, Double> backends) {}

    /**
     * One workload.
     *
     * @param name the table's name for it
     * @param description what both sides do
     * @param target the minimum Nexus/raw ratio asked for, if any
     * @param ratio median Nexus rate / median raw rate, for two-sided workloads
     * @param pairedRatio the median over rounds of Nexus rate / raw rate in that round: less sensitive to load that
     *     drifts during the run, since the two sides of a round run back to back
     * @param met whether the ratio (or, for a latency workload, the 99th percentile) reached the target, when there
     *     is one
     * @param latencyTargetMillis for a latency workload, the largest acceptable 99th percentile in milliseconds
     * @param comparedTo for a one-sided throughput workload shown beside an earlier one: that workload's name;
     *     {@code ratio} is then this workload's median rate / that workload's first side's median rate
     * @param comparedPerSecond that workload's first side's median rate
     * @param sides one result per side, Nexus first
     */
    record WorkloadResult(
            String name,
            String description,
            @Nullable Double target,
            @Nullable Double ratio,
            @Nullable Double pairedRatio,
            @Nullable Boolean met,
            @Nullable Double latencyTargetMillis,
            @Nullable String comparedTo,
            @Nullable Double comparedPerSecond,
            List<SideResult> sides) {}

    /**
     * One side of a workload.
     *
     * @param name {@code nexus} or {@code raw} (or the side's own name)
     * @param medianPerSecond median over the measured rounds, events per second
     * @param minPerSecond slowest round
     * @param maxPerSecond fastest round
     * @param eventsPerRound events each round processed
     * @param roundsPerSecond every measured round's rate, in run order
     * @param clientCpuMicrosPerEvent median over the measured rounds of the benchmark JVM's CPU time (all threads) per
     *     event processed, in microseconds
     * @param latency for a latency workload, the percentiles over every measured round's samples
     * @param waitEvents for a workload that samples them, the backends' wait events during this side's measured rounds
     */
    record SideResult(
            String name,
            double medianPerSecond,
            double minPerSecond,
            double maxPerSecond,
            long eventsPerRound,
            List<Double> roundsPerSecond,
            double clientCpuMicrosPerEvent,
            @Nullable Latency latency,
            @Nullable WaitEvents waitEvents) {

        /** Half the min-max range as a percentage of the median. */
        double spreadPercent() {
            return medianPerSecond == 0 ? 0 : (maxPerSecond - minPerSecond) / 2 / medianPerSecond * 100;
        }
    }

    /**
     * Latency percentiles (nearest rank) of one side, in milliseconds.
     *
     * @param samples how many samples they summarize
     * @param p50Millis median
     * @param p90Millis 90th percentile
     * @param p99Millis 99th percentile
     * @param maxMillis largest sample
     * @param meanMillis mean
     */
    record Latency(
            int samples, double p50Millis, double p90Millis, double p99Millis, double maxMillis, double meanMillis) {}
}
