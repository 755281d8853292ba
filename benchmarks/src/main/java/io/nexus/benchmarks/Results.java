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
     */
    record Run(
            String startedAt,
            String mode,
            Map<String, String> machine,
            Map<String, String> database,
            int payloadBytes,
            int metadataBytes,
            Sizes sizes,
            List<WorkloadResult> workloads) {}

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
     * @param latency for a latency workload, the percentiles over every measured round's samples
     */
    record SideResult(
            String name,
            double medianPerSecond,
            double minPerSecond,
            double maxPerSecond,
            long eventsPerRound,
            List<Double> roundsPerSecond,
            @Nullable Latency latency) {

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
