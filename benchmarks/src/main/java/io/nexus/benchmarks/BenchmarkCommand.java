package io.nexus.benchmarks;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.nexus.benchmarks.Results.WorkloadResult;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The benchmark command: runs every workload (throughput beside raw JDBC, commit → handler latency through the bus,
 * projection rebuild) and the WAL profile of a single append against the PostgreSQL at {@code --url}, or an embedded PostgreSQL 17 by default, prints the
 * results as a Markdown table and writes them as JSON.
 *
 * <pre>
 * mvn -B -q -pl benchmarks -am package -DskipTests
 * java -Xmx256m -jar benchmarks/target/nexus-benchmarks.jar [--url jdbc:postgresql://host/db?user=..] [--quick]
 * </pre>
 *
 * <p>The run drops and re-creates the schemas {@code nexus_bench}, {@code raw_read} and {@code raw_append} of the
 * target database.
 */
@Command(
        name = "nexus-benchmarks",
        mixinStandardHelpOptions = true,
        description = "Nexus event store throughput beside raw-JDBC baselines on minimal tables, "
                + "commit-to-handler latency through the bus, and the projection rebuild rate.")
public final class BenchmarkCommand implements Callable<Integer> {
    @Option(
            names = "--url",
            description =
                    "JDBC URL of the PostgreSQL to use, credentials included "
                            + "(its schemas nexus_bench, raw_read and raw_append are dropped and re-created). Default: an embedded PostgreSQL 17.")
    private @Nullable String url;

    @Option(names = "--quick", description = "A CI-sized smoke run: seconds, small counts, numbers that mean nothing.")
    private boolean quick;

    @Option(
            names = "--output",
            description = "Where to write the JSON results. "
                    + "Default: benchmarks/results/latest.json (quick.json with --quick).")
    private @Nullable Path output;

    @Option(
            names = "--only",
            split = ",",
            description = "Run only the workloads (and the WAL profile, named '" + WalProfiler.NAME
                    + "') whose names contain one of these.")
    private List<String> only = new ArrayList<>();

    @Option(
            names = "--catch-up-events",
            description = "Events in each store for catch-up. Default: 1000000 (5000 with --quick).")
    private @Nullable Integer catchUpEvents;

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchmarkCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Sizes sizes = quick ? Sizes.quick() : Sizes.full();
        if (catchUpEvents != null) {
            sizes = new Sizes(
                    sizes.warmUpRounds(),
                    sizes.rounds(),
                    sizes.batchesPerRound(),
                    sizes.singleAppendsPerRound(),
                    sizes.appendsPerWriterPerRound(),
                    sizes.streamReadsPerRound(),
                    catchUpEvents,
                    sizes.catchUpRounds(),
                    sizes.pageSize(),
                    sizes.latencyEvents(),
                    sizes.rebuildRounds());
        }
        List<Workload> workloads =
                Workloads.all().stream().filter(w -> selected(w.name())).toList();
        String started = Instant.now().toString();
        try (EmbeddedPostgres embedded = url == null ? startEmbedded() : null) {
            String jdbcUrl =
                    embedded != null ? embedded.getJdbcUrl("postgres", "postgres") : requireNonNull(url, "url");
            Map<String, String> machine = machine();
            System.out.println("machine: " + machine);
            int payloadBytes = Payloads.dataJson().length();
            int metadataBytes = Payloads.metadataJson().length();
            System.out.printf("payload: %d bytes of JSON, metadata %d bytes%n", payloadBytes, metadataBytes);
            if (!quick && Runtime.getRuntime().maxMemory() > 300L << 20) {
                System.out.println("note: the catch-up target is stated for -Xmx256m; run with java -Xmx256m -jar ...");
            }
            List<WorkloadResult> results = new ArrayList<>();
            Results.WalProfile walProfile = null;
            Map<String, String> database;
            try (Bench bench = Bench.open(jdbcUrl, sizes)) {
                database = database(bench, url == null ? "embedded PostgreSQL (zonky)" : redact(url));
                System.out.println("database: " + database);
                Harness harness = new Harness(bench, System.out);
                for (Workload workload : workloads) {
                    results.add(harness.run(workload));
                }
                if (selected(WalProfiler.NAME)) {
                    walProfile = new WalProfiler(bench, System.out).measure();
                }
            }
            Results.Run run = new Results.Run(
                    started,
                    quick ? "quick" : "full",
                    machine,
                    database,
                    payloadBytes,
                    metadataBytes,
                    sizes,
                    results,
                    walProfile);
            System.out.println();
            System.out.print(Harness.table(results));
            String profile = Harness.profileTable(results, walProfile);
            if (!profile.isEmpty()) {
                System.out.println();
                System.out.print(profile);
            }
            Path path = write(run);
            System.out.println();
            System.out.println("results written to " + path);
        }
        return 0;
    }

    private boolean selected(String name) {
        return only.isEmpty() || only.stream().anyMatch(name::contains);
    }

    private static EmbeddedPostgres startEmbedded() throws IOException {
        // zonky turns fsync and synchronous_commit off; a benchmark of commits needs PostgreSQL's defaults back
        return EmbeddedPostgres.builder()
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .start();
    }

    private Path write(Results.Run run) throws IOException {
        Path path = output != null ? output : Path.of("benchmarks", "results", quick ? "quick.json" : "latest.json");
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(path.toFile(), run);
        return path;
    }

    private static Map<String, String> machine() {
        Map<String, String> machine = new LinkedHashMap<>();
        machine.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
        machine.put("cpu", cpuModel());
        machine.put(
                "os",
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"));
        machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        machine.put(
                "maxHeap",
                String.format(Locale.ROOT, "%d MB", Runtime.getRuntime().maxMemory() >> 20));
        return machine;
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).strip())
                    .findFirst()
                    .orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static Map<String, String> database(Bench bench, String source) throws SQLException {
        Map<String, String> database = new LinkedHashMap<>();
        database.put("source", source);
        try (Connection connection = bench.dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("""
                        SELECT current_setting('server_version'), current_setting('fsync'),
                               current_setting('synchronous_commit'), current_setting('shared_buffers'),
                               current_setting('max_wal_size'), current_setting('autovacuum')""")) {
            rows.next();
            database.put("version", rows.getString(1));
            database.put("fsync", rows.getString(2));
            database.put("synchronous_commit", rows.getString(3));
            database.put("shared_buffers", rows.getString(4));
            database.put("max_wal_size", rows.getString(5));
            database.put("autovacuum", rows.getString(6));
        }
        return database;
    }

    private static String redact(String jdbcUrl) {
        return jdbcUrl.replaceAll("password=[^&]*", "password=***");
    }
}
