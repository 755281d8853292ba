package io.nexus.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.migrations.EventStoreSchema;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every workload works on: one connection pool, the Nexus store in schema {@value #NEXUS_SCHEMA}, the raw
 * baseline's identically shaped tables in schema {@value #RAW_SCHEMA}, and the writer threads. Opening it drops and
 * re-creates both schemas, so every run starts empty.
 */
final class Bench implements AutoCloseable {
    static final String NEXUS_SCHEMA = "nexus_bench";
    static final String RAW_SCHEMA = "raw_baseline";
    static final int WRITERS = 16;

    private static final LongAdder SINK = new LongAdder();

    final Sizes sizes;
    final String jdbcUrl;
    final HikariDataSource dataSource;
    final PostgresEventStore store;
    final RawEvents raw;
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
        this.writers = Executors.newFixedThreadPool(WRITERS);
    }

    /** Connects to {@code jdbcUrl}, re-creates both schemas and opens the store. */
    static Bench open(String jdbcUrl, Sizes sizes) throws SQLException {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(WRITERS + 4);
        config.setMinimumIdle(WRITERS + 4);
        config.setPoolName("nexus-bench");
        // Only the raw batch baseline uses JDBC batches; pgjdbc then sends multi-row INSERTs.
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        HikariDataSource dataSource = new HikariDataSource(config);
        try {
            try (Connection connection = dataSource.getConnection();
                    Statement statement = connection.createStatement()) {
                statement.execute("DROP SCHEMA IF EXISTS " + NEXUS_SCHEMA + " CASCADE");
                statement.execute("DROP SCHEMA IF EXISTS " + RAW_SCHEMA + " CASCADE");
            }
            EventStoreSchema.migrate(dataSource, NEXUS_SCHEMA);
            EventStoreSchema.migrate(dataSource, RAW_SCHEMA);
            return new Bench(sizes, jdbcUrl, dataSource);
        } catch (SQLException | RuntimeException e) {
            dataSource.close();
            throw e;
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

    @Override
    public void close() {
        writers.shutdownNow();
        store.close();
        dataSource.close();
    }
}
