package io.nexus.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.migrations.EventStoreSchema;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every workload works on: one connection pool, the Nexus store in schema {@value #NEXUS_SCHEMA}, the append
 * baseline's minimal table in schema {@value AppendBaseline#SCHEMA}, the read baselines' table of the same shape in
 * schema {@value #RAW_SCHEMA}, and the writer threads. Opening it drops and re-creates the three schemas, so every
 * run starts empty. Workloads that need other session settings open a second pool with {@link
 * #openSynchronousCommitOff()}.
 */
final class Bench implements AutoCloseable {
    static final String NEXUS_SCHEMA = "nexus_bench";
    static final String RAW_SCHEMA = "raw_read";
    static final int WRITERS = 16;

    private static final LongAdder SINK = new LongAdder();

    final Sizes sizes;
    final String jdbcUrl;
    final HikariDataSource dataSource;
    final PostgresEventStore store;
    final RawEvents raw;
    final AppendBaseline baseline;
    final ExecutorService writers;
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong streams = new AtomicLong();

    private Bench(Sizes sizes, String jdbcUrl, HikariDataSource dataSource) {
        this.sizes = sizes;
        this.jdbcUrl = jdbcUrl;
        this.dataSource = dataSource;
        this.store = PostgresEventStore.builder(dataSource)
                .schema(NEXUS_SCHEMA)
                .types(EventTypeRegistry.builder().register(OrderCreated.class).build())
                .build();
        this.raw = new RawEvents(dataSource, RAW_SCHEMA);
        this.baseline = new AppendBaseline(dataSource);
        this.writers = Executors.newFixedThreadPool(WRITERS);
    }

    /** Connects to {@code jdbcUrl}, re-creates both schemas and opens the store. */
    static Bench open(String jdbcUrl, Sizes sizes) throws SQLException {
        HikariDataSource dataSource = new HikariDataSource(poolConfig(jdbcUrl, "nexus-bench"));
        try {
            try (Connection connection = dataSource.getConnection();
                    Statement statement = connection.createStatement()) {
                statement.execute("DROP SCHEMA IF EXISTS " + NEXUS_SCHEMA + " CASCADE");
                statement.execute("DROP SCHEMA IF EXISTS " + RAW_SCHEMA + " CASCADE");
            }
            EventStoreSchema.migrate(dataSource, NEXUS_SCHEMA);
            AppendBaseline.create(dataSource, AppendBaseline.SCHEMA);
            AppendBaseline.create(dataSource, RAW_SCHEMA);
            return new Bench(sizes, jdbcUrl, dataSource);
        } catch (SQLException | RuntimeException e) {
            dataSource.close();
            throw e;
        }
    }

    /**
     * The settings of every pool of the run, Nexus's and the baselines' alike: the same size and the same URL
     * parameters.
     */
    private static HikariConfig poolConfig(String jdbcUrl, String name) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(WRITERS + 4);
        config.setMinimumIdle(WRITERS + 4);
        config.setPoolName(name);
        // Only the raw batch baseline uses JDBC batches; pgjdbc then sends multi-row INSERTs.
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        return config;
    }

    /**
     * Opens a second pool whose sessions run with {@code synchronous_commit = off} (set on each new connection), and
     * on it a second Nexus store on the same schema and the append baseline: both sides get the setting the same way.
     */
    SynchronousCommitOff openSynchronousCommitOff() {
        HikariConfig config = poolConfig(jdbcUrl, "nexus-bench-async");
        config.setConnectionInitSql("SET synchronous_commit = off");
        HikariDataSource asyncPool = new HikariDataSource(config);
        try {
            PostgresEventStore asyncStore = PostgresEventStore.builder(asyncPool)
                    .schema(NEXUS_SCHEMA)
                    .types(EventTypeRegistry.builder()
                            .register(OrderCreated.class)
                            .build())
                    .build();
            return new SynchronousCommitOff(asyncPool, asyncStore, new AppendBaseline(asyncPool));
        } catch (RuntimeException e) {
            asyncPool.close();
            throw e;
        }
    }

    /** The pool of {@link #openSynchronousCommitOff()} with its Nexus store and append baseline. */
    record SynchronousCommitOff(HikariDataSource dataSource, PostgresEventStore store, AppendBaseline baseline)
            implements AutoCloseable {
        @Override
        public void close() {
            store.close();
            dataSource.close();
        }
    }

    /** A stream id not used before in this run. */
    StreamId nextStream() {
        return StreamId.of("order", runId + "-" + streams.incrementAndGet());
    }

    /** Keeps the JIT from discarding work whose result a round does not otherwise use. */
    static void consume(long value) {
        SINK.add(value);
    }

    /** Runs one SQL statement on a connection of its own. */
    void execute(String sql) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /**
     * Vacuums and analyzes every table of the three schemas, as autovacuum would. Where autovacuum is off (the CI
     * configuration of some machines has it off) a table is never analyzed nor vacuumed: plans that pgjdbc and
     * PL/pgSQL cached while the tables were empty stay as they were, so Nexus's append and sequencer, which read
     * {@code events} by index, scan it whole on every call (seen: appends 7x slower after a few thousand, back to
     * normal after one ANALYZE), and with no visibility map every index-only scan of the sequencer visits the heap.
     * The raw baseline reads nothing while appending, so it never noticed. VACUUM runs outside a transaction, one
     * table per statement.
     */
    void vacuumAnalyze() throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement()) {
            if (!connection.getAutoCommit()) {
                connection.commit();
                connection.setAutoCommit(true);
            }
            try (ResultSet rows =
                    statement.executeQuery("""
                    SELECT format('%%I.%%I', schemaname, tablename) FROM pg_tables
                    WHERE schemaname IN ('%s', '%s', '%s')""".formatted(NEXUS_SCHEMA, RAW_SCHEMA, AppendBaseline.SCHEMA))) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
            for (String table : tables) {
                statement.execute("VACUUM (ANALYZE) " + table);
            }
        }
    }

    @Override
    public void close() {
        writers.shutdownNow();
        store.close();
        dataSource.close();
    }
}
