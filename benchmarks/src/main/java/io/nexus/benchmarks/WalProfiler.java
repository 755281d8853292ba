package io.nexus.benchmarks;

import io.nexus.eventstore.core.ExpectedVersion;
import java.io.PrintStream;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Measures what one single-event append writes to the WAL, Nexus beside the append baseline: {@code pg_stat_wal} is
 * reset, one writer appends, and the counters are read and divided by the number of appends. Runs alternate sides.
 *
 * <p>A backend reports its WAL counters to {@code pg_stat_wal} at most once a second, and an idle one only after ten,
 * so a plain reset-run-read would both count work from before the reset and miss work of the run. Before the reset
 * and again before the read, the pool's connections are therefore evicted and their backends waited for: a backend
 * that exits reports everything it has. The counters are cluster-wide, so WAL of other databases (other builds on a
 * shared machine, autovacuum, checkpoints) lands in them too; each figure is reported as its lowest over the runs.
 */
final class WalProfiler {
    /** The name {@code --only} matches against. */
    static final String NAME = "WAL profile, single append, 1 writer";

    private static final long SETTLE_TIMEOUT_MILLIS = 5_000;

    private final Bench bench;
    private final PrintStream out;

    WalProfiler(Bench bench, PrintStream out) {
        this.bench = bench;
        this.out = out;
    }

    Results.WalProfile measure() throws Exception {
        // Many short runs rather than a few long ones: WAL of other databases comes in bursts, and the lowest of
        // many short runs is likelier to fall between them.
        int appends = Math.max(20, bench.sizes.singleAppendsPerRound() / 4);
        int runs = bench.sizes.rounds();
        out.printf("%s: %,d appends per run, %d run(s) per side%n", NAME, appends, runs);
        List<double[]> nexus = new ArrayList<>();
        List<double[]> raw = new ArrayList<>();
        try (Connection probe = DriverManager.getConnection(bench.jdbcUrl)) {
            String statements = pgStatStatements(probe);
            for (int run = 0; run < runs; run++) {
                boolean nexusFirst = run % 2 == 0;
                for (int i = 0; i < 2; i++) {
                    boolean isNexus = nexusFirst == (i == 0);
                    double[] perAppend = run(probe, appends, isNexus);
                    (isNexus ? nexus : raw).add(perAppend);
                    out.printf(
                            Locale.ROOT,
                            "  run %d/%d %s: %.2f WAL records, %.0f bytes, %.3f full-page images, %.3f syncs per append%n",
                            run + 1,
                            runs,
                            isNexus ? "nexus" : "raw",
                            perAppend[0],
                            perAppend[2],
                            perAppend[1],
                            perAppend[3]);
                }
            }
            return new Results.WalProfile(
                    appends,
                    runs,
                    summarize(nexus),
                    summarize(raw),
                    statements,
                    "pg_stat_wal, reset before each run; pool connections evicted (their backends exit and report) "
                            + "before the reset and before the read; Nexus runs end with headPosition(), so the "
                            + "sequencer's WAL is included; cluster-wide counters, lowest of the runs");
        }
    }

    /** One run of one side: WAL records, full-page images, bytes and syncs, each per append. */
    private double[] run(Connection probe, int appends, boolean isNexus) throws Exception {
        settle(probe);
        try (Statement statement = probe.createStatement()) {
            statement.execute("SELECT pg_stat_reset_shared('wal')");
        }
        if (isNexus) {
            for (int i = 0; i < appends; i++) {
                bench.store.append(bench.nextStream(), ExpectedVersion.noStream(), List.of(Payloads.newEvent()));
            }
            bench.store.headPosition();
        } else {
            for (int i = 0; i < appends; i++) {
                bench.baseline.appendOne(bench.nextStream());
            }
        }
        settle(probe);
        try (Statement statement = probe.createStatement();
                ResultSet rows =
                        statement.executeQuery("SELECT wal_records, wal_fpi, wal_bytes, wal_sync FROM pg_stat_wal")) {
            rows.next();
            return new double[] {
                (double) rows.getLong(1) / appends,
                (double) rows.getLong(2) / appends,
                rows.getDouble(3) / appends,
                (double) rows.getLong(4) / appends
            };
        }
    }

    /** Closes the pool's idle connections and waits until their backends have exited, and so reported their WAL. */
    private void settle(Connection probe) throws SQLException, InterruptedException {
        List<Integer> pids = new ArrayList<>();
        try (Statement statement = probe.createStatement();
                ResultSet rows = statement.executeQuery("""
                        SELECT pid FROM pg_stat_activity
                        WHERE datname = current_database() AND pid <> pg_backend_pid()
                          AND backend_type = 'client backend'""")) {
            while (rows.next()) {
                pids.add(rows.getInt(1));
            }
        }
        bench.dataSource.getHikariPoolMXBean().softEvictConnections();
        Array array = probe.createArrayOf("int4", pids.toArray());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_TIMEOUT_MILLIS);
        try (PreparedStatement left =
                probe.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY (?)")) {
            left.setArray(1, array);
            while (System.nanoTime() < deadline) {
                try (ResultSet rows = left.executeQuery()) {
                    rows.next();
                    if (rows.getLong(1) == 0) {
                        return;
                    }
                }
                TimeUnit.MILLISECONDS.sleep(20);
            }
        }
        // A connection held outside the pool (none of this benchmark's own) does not exit; its WAL, if any, is
        // counted late. Go on rather than wait forever.
    }

    private static String pgStatStatements(Connection probe) throws SQLException {
        try (Statement statement = probe.createStatement();
                ResultSet rows = statement.executeQuery("""
                        SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'),
                               current_setting('shared_preload_libraries')""")) {
            rows.next();
            return rows.getBoolean(1)
                    ? "installed (not read by this profile)"
                    : "not installed (shared_preload_libraries = '" + rows.getString(2)
                            + "'); the benchmark does not install server extensions, so no per-statement numbers";
        }
    }

    private static Results.Wal summarize(List<double[]> runs) {
        List<Double> records = new ArrayList<>();
        List<Double> bytes = new ArrayList<>();
        double fpi = Double.MAX_VALUE;
        double syncs = Double.MAX_VALUE;
        for (double[] run : runs) {
            records.add(run[0]);
            bytes.add(run[2]);
            fpi = Math.min(fpi, run[1]);
            syncs = Math.min(syncs, run[3]);
        }
        return new Results.Wal(
                Collections.min(records), Collections.min(bytes), fpi, syncs, List.copyOf(records), List.copyOf(bytes));
    }
}
