package io.nexus.benchmarks;

import io.nexus.benchmarks.Results.SideResult;
import io.nexus.benchmarks.Results.WorkloadResult;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Runs workloads: set-up, warm-up rounds, then measured rounds of every side, alternating which side goes first so
 * that neither always inherits the other's leftovers (autovacuum, checkpoints, a cooling cache). Reports the median
 * rate per side, its spread, and the ratio of the medians. A latency workload's sides record samples instead; it reports
 * their percentiles. A one-sided throughput workload may be shown beside an earlier workload of the same run.
 */
final class Harness {
    private final Bench bench;
    private final PrintStream out;
    private final Map<String, WorkloadResult> done = new HashMap<>();

    Harness(Bench bench, PrintStream out) {
        this.bench = bench;
        this.out = out;
    }

    WorkloadResult run(Workload workload) throws Exception {
        out.printf("%s: %s%n", workload.name(), workload.description());
        try {
            workload.setUp(bench);
            WorkloadResult result = measure(workload);
            done.put(result.name(), result);
            return result;
        } finally {
            workload.tearDown(bench);
        }
    }

    private WorkloadResult measure(Workload workload) throws Exception {
        List<Workload.Side> sides = workload.sides();
        for (int round = 0; round < workload.warmUpRounds(bench.sizes); round++) {
            for (Workload.Side side : sides) {
                side.round().run(bench);
            }
        }
        // Statistics and visibility maps of the tables as set-up and warm-up left them, as autovacuum would keep them.
        bench.vacuumAnalyze();
        for (Workload.Side side : sides) {
            if (side.latencies() != null) {
                side.latencies().clear();
            }
        }
        int rounds = workload.rounds(bench.sizes);
        List<List<Double>> rates = new ArrayList<>();
        List<List<Double>> cpu = new ArrayList<>();
        long[] events = new long[sides.size()];
        for (int s = 0; s < sides.size(); s++) {
            rates.add(new ArrayList<>());
            cpu.add(new ArrayList<>());
        }
        List<SideResult> results = new ArrayList<>();
        try (WaitEventSampler sampler = workload.sampleWaitEvents() ? new WaitEventSampler(bench.jdbcUrl) : null) {
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < sides.size(); i++) {
                    int s = round % 2 == 0 ? i : sides.size() - 1 - i;
                    if (sampler != null) {
                        sampler.sample(sides.get(s).name());
                    }
                    long cpuStarted = processCpuNanos();
                    long started = System.nanoTime();
                    long processed = sides.get(s).round().run(bench);
                    double seconds = (System.nanoTime() - started) / 1e9;
                    cpu.get(s).add((processCpuNanos() - cpuStarted) / 1e3 / Math.max(processed, 1));
                    if (sampler != null) {
                        sampler.sample(null);
                    }
                    events[s] = processed;
                    rates.get(s).add(processed / seconds);
                }
                out.printf("  round %d/%d:%s%n", round + 1, rounds, describeRound(sides, rates, cpu, round));
            }
            for (int s = 0; s < sides.size(); s++) {
                Results.WaitEvents waits =
                        sampler == null ? null : sampler.summary(sides.get(s).name());
                if (waits != null) {
                    out.printf("  wait events, %s: %s%n", sides.get(s).name(), topWaitEvents(waits, 6));
                }
                results.add(summarize(sides.get(s), events[s], rates.get(s), cpu.get(s), waits));
            }
        }
        Double ratio = null;
        Double pairedRatio = null;
        Boolean met = null;
        Double latencyTarget = workload.latencyTargetMillis();
        String comparedTo = workload.comparedTo();
        Double comparedPerSecond = null;
        Results.Latency latency = results.get(0).latency();
        if (latency != null) {
            if (latencyTarget != null) {
                met = latency.p99Millis() <= latencyTarget;
            }
            out.printf(
                    Locale.ROOT,
                    "  latency over %d events: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                    latency.samples(),
                    latency.p50Millis(),
                    latency.p90Millis(),
                    latency.p99Millis(),
                    latency.maxMillis());
        } else if (comparedTo != null) {
            WorkloadResult other = done.get(comparedTo);
            if (other != null) {
                comparedPerSecond = other.sides().get(0).medianPerSecond();
                ratio = results.get(0).medianPerSecond() / comparedPerSecond;
            }
        } else if (results.size() == 2) {
            if (events[0] != events[1]) {
                throw new IllegalStateException(workload.name() + ": the sides processed different numbers of events, "
                        + events[0] + " and " + events[1]);
            }
            ratio = results.get(0).medianPerSecond() / results.get(1).medianPerSecond();
            List<Double> paired = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                paired.add(rates.get(0).get(round) / rates.get(1).get(round));
            }
            pairedRatio = median(paired);
            met = workload.target() == null ? null : ratio >= workload.target();
        }
        return new WorkloadResult(
                workload.name(),
                workload.description(),
                workload.target(),
                ratio,
                pairedRatio,
                met,
                latencyTarget,
                comparedTo,
                comparedPerSecond,
                results);
    }

    private static String describeRound(
            List<Workload.Side> sides, List<List<Double>> rates, List<List<Double>> cpu, int round) {
        StringBuilder line = new StringBuilder();
        for (int s = 0; s < sides.size(); s++) {
            line.append(String.format(
                    Locale.ROOT,
                    " %s %,.0f/s (%.2f µs CPU/event)",
                    sides.get(s).name(),
                    rates.get(s).get(round),
                    cpu.get(s).get(round)));
        }
        return line.toString();
    }

    /**
     * The CPU time this JVM has used, all its threads (the store's fetch threads, GC and JIT included): per event, a
     * steadier measure of the client's cost than a rate on a machine whose other load comes and goes.
     */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static SideResult summarize(
            Workload.Side side,
            long events,
            List<Double> rates,
            List<Double> cpuMicrosPerEvent,
            Results.@Nullable WaitEvents waitEvents) {
        List<Double> sorted = new ArrayList<>(rates);
        sorted.sort(null);
        LatencySamples latencies = side.latencies();
        return new SideResult(
                side.name(),
                median(rates),
                sorted.get(0),
                sorted.get(sorted.size() - 1),
                events,
                List.copyOf(rates),
                median(cpuMicrosPerEvent),
                latencies == null ? null : latencies.summary(),
                waitEvents);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /**
     * The results as a Markdown table, one row per workload. A latency workload shows its p50 and p99 in the Nexus
     * column; a workload compared to an earlier one shows that one's rate in the second column, named.
     */
    static String table(List<WorkloadResult> results) {
        StringBuilder table = new StringBuilder();
        table.append("| workload | Nexus (events/s) | raw JDBC (events/s) | Nexus / raw | paired | target | met |\n");
        table.append("| --- | ---: | ---: | ---: | ---: | ---: | :---: |\n");
        for (WorkloadResult result : results) {
            SideResult first = result.sides().get(0);
            SideResult second = result.sides().size() > 1 ? result.sides().get(1) : null;
            Results.Latency latency = first.latency();
            String firstCell = latency == null
                    ? rate(first)
                    : String.format(Locale.ROOT, "p50 %.1f ms, p99 %.1f ms", latency.p50Millis(), latency.p99Millis());
            String secondCell = second != null && latency == null ? rate(second) : "";
            String ratioCell = result.ratio() == null ? "" : String.format(Locale.ROOT, "%.2f×", result.ratio());
            if (result.comparedTo() != null && result.comparedPerSecond() != null) {
                secondCell = String.format(Locale.ROOT, "%s: %,.0f", result.comparedTo(), result.comparedPerSecond());
                ratioCell = ratioCell.isEmpty() ? "" : ratioCell + " of " + result.comparedTo();
            }
            String targetCell = result.latencyTargetMillis() != null
                    ? String.format(Locale.ROOT, "p99 ≤ %.0f ms", result.latencyTargetMillis())
                    : result.target() == null ? "" : String.format(Locale.ROOT, "≥ %.2f×", result.target());
            table.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %s | %s | %s |%n",
                    result.name(),
                    firstCell,
                    secondCell,
                    ratioCell,
                    result.pairedRatio() == null ? "" : String.format(Locale.ROOT, "%.2f×", result.pairedRatio()),
                    targetCell,
                    result.met() == null ? "" : result.met() ? "yes" : "**no**"));
        }
        return table.toString();
    }

    /**
     * The profile as Markdown: WAL per single-event append of each side (if measured), whether {@code
     * pg_stat_statements} was there, and the wait events of every workload that sampled them.
     */
    static String profileTable(List<WorkloadResult> results, Results.@Nullable WalProfile wal) {
        StringBuilder table = new StringBuilder();
        if (wal != null) {
            table.append(String.format(
                    Locale.ROOT,
                    "| single-event append, 1 writer, per append (lowest of %d runs of %,d) | Nexus | raw | Nexus / raw |%n",
                    wal.runs(),
                    wal.appendsPerRun()));
            table.append("| --- | ---: | ---: | ---: |\n");
            walRow(table, "WAL records", wal.nexus().records(), wal.raw().records());
            walRow(table, "WAL bytes", wal.nexus().bytes(), wal.raw().bytes());
            walRow(
                    table,
                    "full-page images",
                    wal.nexus().fullPageImages(),
                    wal.raw().fullPageImages());
            walRow(table, "WAL syncs", wal.nexus().syncs(), wal.raw().syncs());
            table.append("\npg_stat_statements: ")
                    .append(wal.pgStatStatements())
                    .append("\n\n");
        }
        boolean header = false;
        for (WorkloadResult result : results) {
            List<String> cells = new ArrayList<>();
            for (SideResult side : result.sides()) {
                Results.WaitEvents waits = side.waitEvents();
                cells.add(waits == null ? "" : topWaitEvents(waits, 5));
            }
            if (cells.stream().allMatch(String::isEmpty)) {
                continue;
            }
            if (!header) {
                table.append("| wait events: backends per sample, every " + WaitEventSampler.INTERVAL_MILLIS
                        + " ms | Nexus | raw |\n");
                table.append("| --- | --- | --- |\n");
                header = true;
            }
            table.append("| ").append(result.name()).append(" | ").append(String.join(" | ", cells));
            table.append(" |\n");
        }
        return table.toString();
    }

    private static void walRow(StringBuilder table, String what, double nexus, double raw) {
        table.append(String.format(
                Locale.ROOT,
                "| %s | %,.2f | %,.2f | %s |%n",
                what,
                nexus,
                raw,
                raw == 0 ? "" : String.format(Locale.ROOT, "%.2f×", nexus / raw)));
    }

    /** The {@code limit} most frequent wait events with their average backends per sample. */
    static String topWaitEvents(Results.WaitEvents waits, int limit) {
        StringBuilder line = new StringBuilder();
        waits.backends().entrySet().stream().limit(limit).forEach(entry -> {
            if (line.length() > 0) {
                line.append(", ");
            }
            line.append(String.format(Locale.ROOT, "%s %.2f", entry.getKey(), entry.getValue()));
        });
        return line.toString();
    }

    private static String rate(SideResult side) {
        return String.format(Locale.ROOT, "%,.0f ±%.0f%%", side.medianPerSecond(), side.spreadPercent());
    }
}
