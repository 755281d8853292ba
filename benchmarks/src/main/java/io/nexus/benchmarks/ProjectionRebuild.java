package io.nexus.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventbus.BusConfig;
import io.nexus.eventbus.Projection;
import io.nexus.eventbus.ProjectionDaemon;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jspecify.annotations.Nullable;

/**
 * Rebuilds a JDBC read model from the whole global order: the store catch-up filled (or, run alone, filled the same
 * way), replayed by a {@link ProjectionDaemon} into an {@code order_totals} table that upserts, per stream, the count
 * of orders and the sum of their amounts, in the projection's transaction (one JDBC batch of upserts per batch of
 * events, together with the checkpoint). A round is {@link ProjectionDaemon#rebuild} and waiting until the checkpoint
 * reaches the head. One-sided: shown beside the catch-up rate of the same run.
 */
final class ProjectionRebuild implements Workload {
    private static final String NAME = "order-totals";
    private static final String TABLE = Bench.NEXUS_SCHEMA + ".order_totals";
    private static final Duration TIMEOUT = Duration.ofMinutes(30);

    private @Nullable HikariDataSource readModelPool;
    private @Nullable ProjectionDaemon daemon;

    @Override
    public String name() {
        return "projection rebuild";
    }

    @Override
    public String description() {
        return "ProjectionDaemon.rebuild of the whole global order into a JDBC read model (upsert per stream)";
    }

    @Override
    public @Nullable String comparedTo() {
        return "catch-up";
    }

    @Override
    public int warmUpRounds(Sizes sizes) {
        return 0; // the initial build in setUp is the warm-up
    }

    @Override
    public int rounds(Sizes sizes) {
        return sizes.rebuildRounds();
    }

    @Override
    public void setUp(Bench bench) throws Exception {
        for (long have = bench.store.headPosition(); have < bench.sizes.catchUpEvents(); have += 1_000) {
            List<NewEvent> events = new ArrayList<>(1_000);
            for (int i = 0; i < Math.min(1_000, bench.sizes.catchUpEvents() - have); i++) {
                events.add(Payloads.newEvent());
            }
            bench.store.append(bench.nextStream(), ExpectedVersion.noStream(), events);
        }
        bench.execute("CREATE TABLE IF NOT EXISTS " + TABLE
                + " (stream_id text PRIMARY KEY, orders bigint NOT NULL, total numeric NOT NULL)");
        // The read model's own pool, as an application would have it: without the raw baseline's
        // reWriteBatchedInserts, which would fold a batch's upserts of one stream into one multi-row statement.
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(bench.jdbcUrl);
        config.setMaximumPoolSize(4);
        config.setPoolName("nexus-bench-read-model");
        readModelPool = new HikariDataSource(config);
        daemon = ProjectionDaemon.builder(bench.store, readModelPool)
                .register(new OrderTotals())
                .config(BusConfig.builder().batchSize(bench.sizes.pageSize()).build())
                .build()
                .start();
        long head = bench.store.headPosition();
        long started = System.nanoTime();
        daemon.awaitPosition(NAME, head, TIMEOUT);
        System.out.printf(
                "  initial build of %,d events (warm-up): %.1f s%n", head, (System.nanoTime() - started) / 1e9);
    }

    @Override
    public void tearDown(Bench bench) {
        if (daemon != null) {
            daemon.close();
        }
        if (readModelPool != null) {
            readModelPool.close();
        }
    }

    @Override
    public List<Side> sides() {
        return List.of(new Side("nexus", this::round));
    }

    private long round(Bench bench) throws Exception {
        ProjectionDaemon running = Objects.requireNonNull(daemon, "set up first");
        long head = running.rebuild(NAME).head();
        running.awaitPosition(NAME, head, TIMEOUT);
        // Other workloads leave events of other types in the store (the projection's filter passes them by), so
        // the read model must count exactly the stored events of the projection's type.
        try (var connection = bench.dataSource.getConnection();
                var statement = connection.prepareStatement("SELECT (SELECT coalesce(sum(orders), 0) FROM " + TABLE
                        + "), (SELECT count(*) FROM " + Bench.NEXUS_SCHEMA + ".events WHERE type = ?)")) {
            statement.setString(1, Payloads.TYPE);
            try (var rows = statement.executeQuery()) {
                rows.next();
                if (rows.getLong(1) != rows.getLong(2)) {
                    throw new IllegalStateException("the read model counts " + rows.getLong(1) + " orders, the store "
                            + rows.getLong(2) + " events of type " + Payloads.TYPE);
                }
            }
        }
        return head;
    }

    /** Orders and their total per stream. */
    private static final class OrderTotals implements Projection {
        private static final String UPSERT = "INSERT INTO " + TABLE + " (stream_id, orders, total) VALUES (?, 1, ?) "
                + "ON CONFLICT (stream_id) DO UPDATE SET orders = order_totals.orders + 1, "
                + "total = order_totals.total + excluded.total";

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public EventFilter filter() {
            return EventFilter.types(Payloads.TYPE);
        }

        @Override
        public void apply(Handle handle, RecordedEvent event) {
            handle.execute(UPSERT, event.streamId().value(), amount(event));
        }

        @Override
        public void applyBatch(Handle handle, List<RecordedEvent> events) {
            PreparedBatch batch = handle.prepareBatch(UPSERT);
            for (RecordedEvent event : events) {
                batch.bind(0, event.streamId().value()).bind(1, amount(event)).add();
            }
            if (batch.size() > 0) {
                batch.execute();
            }
        }

        @Override
        public void reset(Handle handle) {
            handle.execute("DELETE FROM " + TABLE);
        }

        private static BigDecimal amount(RecordedEvent event) {
            return ((OrderCreated) event.data()).amount();
        }
    }
}
