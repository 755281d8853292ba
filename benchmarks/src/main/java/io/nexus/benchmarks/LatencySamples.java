package io.nexus.benchmarks;

import java.util.Arrays;

/** Latency samples in nanoseconds, recorded by a latency workload's rounds and summarized by the harness. */
final class LatencySamples {
    private long[] samples = new long[1024];
    private int size;

    /** Records one sample; negative values (clock order between threads) count as 0. */
    synchronized void add(long nanos) {
        if (size == samples.length) {
            samples = Arrays.copyOf(samples, size * 2);
        }
        samples[size++] = Math.max(0, nanos);
    }

    /** Forgets every sample (after the warm-up). */
    synchronized void clear() {
        size = 0;
    }

    /** Percentiles of the samples so far (nearest rank), in milliseconds. */
    synchronized Results.Latency summary() {
        if (size == 0) {
            throw new IllegalStateException("no latency samples were recorded");
        }
        long[] sorted = Arrays.copyOf(samples, size);
        Arrays.sort(sorted);
        return new Results.Latency(
                size,
                millis(sorted, 0.50),
                millis(sorted, 0.90),
                millis(sorted, 0.99),
                sorted[size - 1] / 1e6,
                Arrays.stream(sorted).average().orElse(0) / 1e6);
    }

    private static double millis(long[] sorted, double quantile) {
        int rank = (int) Math.ceil(quantile * sorted.length);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }
}
