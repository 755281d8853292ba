package io.nexus.benchmarks;

import io.nexus.benchmarks.Results.SideResult;
import io.nexus.benchmarks.Results.WorkloadResult;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs workloads: set-up, warm-up rounds, then measured rounds of every side, alternating which side goes first so
 * that neither always inherits the other's leftovers (autovacuum, checkpoints, a cooling cache). Reports the median
 * rate per side, its spread, and the ratio of the medians.
 */
final class Harness {
    private final Bench bench;
    private final PrintStream out;

    Harness(Bench bench, PrintStream out) {
        this.bench = bench;
        this.out = out;
    }

    WorkloadResult run(Workload workload) throws Exception {
        out.printf("%s: %s%n", workload.name(), workload.description());
        workload.setUp(bench);
        List<Workload.Side> sides = workload.sides();
        for (int round = 0; round < workload.warmUpRounds(bench.sizes); round++) {
            for (Workload.Side side : sides) {
                side.round().run(bench);
            }
        }
        int rounds = workload.rounds(bench.sizes);
        List<List<Double>> rates = new ArrayList<>();
        long[] events = new long[sides.size()];
        for (int s = 0; s < sides.size(); s++) {
            rates.add(new ArrayList<>());
        }
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < sides.size(); i++) {
                int s = round % 2 == 0 ? i : sides.size() - 1 - i;
                long started = System.nanoTime();
                long processed = sides.get(s).round().run(bench);
                double seconds = (System.nanoTime() - started) / 1e9;
                events[s] = processed;
                rates.get(s).add(processed / seconds);
            }
            out.printf("  round %d/%d:%s%n", round + 1, rounds, describeRound(sides, rates, round));
        }
        List<SideResult> results = new ArrayList<>();
        for (int s = 0; s < sides.size(); s++) {
            results.add(summarize(sides.get(s).name(), events[s], rates.get(s)));
        }
        Double ratio = null;
        Double pairedRatio = null;
        Boolean met = null;
        if (results.size() == 2) {
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
                workload.name(), workload.description(), workload.target(), ratio, pairedRatio, met, results);
    }

    private static String describeRound(List<Workload.Side> sides, List<List<Double>> rates, int round) {
        StringBuilder line = new StringBuilder();
        for (int s = 0; s < sides.size(); s++) {
            line.append(String.format(Locale.ROOT, " %s %,.0f/s", sides.get(s).name(), rates.get(s).get(round)));
        }
        return line.toString();
    }

    private static SideResult summarize(String name, long events, List<Double> rates) {
        List<Double> sorted = new ArrayList<>(rates);
        sorted.sort(null);
        return new SideResult(
                name, median(rates), sorted.get(0), sorted.get(sorted.size() - 1), events, List.copyOf(rates));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** The results as a Markdown table, one row per workload. */
    static String table(List<WorkloadResult> results) {
        StringBuilder table = new StringBuilder();
        table.append("| workload | Nexus (events/s) | raw JDBC (events/s) | Nexus / raw | paired | target | met |\n");
        table.append("| --- | ---: | ---: | ---: | ---: | ---: | :---: |\n");
        for (WorkloadResult result : results) {
            SideResult first = result.sides().get(0);
            SideResult second = result.sides().size() > 1 ? result.sides().get(1) : null;
            table.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n",
                    result.name(),
                    rate(first),
                    second == null ? "" : rate(second),
                    result.ratio() == null ? "" : String.format(Locale.ROOT, "%.2f×", result.ratio()),
                    result.pairedRatio() == null ? "" : String.format(Locale.ROOT, "%.2f×", result.pairedRatio()),
                    result.target() == null ? "" : String.format(Locale.ROOT, "≥ %.2f×", result.target()),
                    result.met() == null ? "" : result.met() ? "yes" : "**no**"));
        }
        return table.toString();
    }

    private static String rate(SideResult side) {
        return String.format(Locale.ROOT, "%,.0f ±%.0f%%", side.medianPerSecond(), side.spreadPercent());
    }
}
