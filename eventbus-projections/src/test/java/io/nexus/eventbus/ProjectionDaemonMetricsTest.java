package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@PostgresTest
@Timeout(120)
class ProjectionDaemonMetricsTest {
    private static final BusConfig FAST = BusConfig.builder()
            .batchSize(10)
            .flushInterval(Duration.ofMillis(20))
            .retryDelay(Duration.ofMillis(20))
            .exponentialBackoff(false)
            .workerCount(2)
            .build();

    private final TestDatabase database;
    private final Jdbi jdbi;
    private final PostgresEventStore store;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    ProjectionDaemonMetricsTest(TestDatabase database) {
        this.database = database;
        this.jdbi = Jdbi.create(database.dataSource());
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** Fails every batch while {@code failing} is set. */
    private static final class FlakyProjection implements Projection {
        private final CountingProjection delegate;
        volatile boolean failing;

        FlakyProjection(CountingProjection delegate) {
            this.delegate = delegate;
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public void apply(Handle handle, RecordedEvent event) {
            applyBatch(handle, List.of(event));
        }

        @Override
        public void applyBatch(Handle handle, List<RecordedEvent> events) {
            if (failing) {
                throw new IllegalStateException("failing on purpose");
            }
            delegate.applyBatch(handle, events);
        }

        @Override
        public void reset(Handle handle) {
            delegate.reset(handle);
        }
    }

    private double counter(String name, String projection) {
        Counter counter = registry.find(name).tag("projection", projection).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void a_daemon_with_a_registry_counts_events_batches_failures_rebuilds_and_reports_lag_and_ownership()
            throws Exception {
        CountingProjection counting =
                new CountingProjection(CountingProjection.uniqueName("metrics")).createTables(jdbi);
        FlakyProjection projection = new FlakyProjection(counting);
        String name = projection.name();
        long before = store.headPosition();
        ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                .register(projection)
                .config(FAST)
                .leaseDuration(Duration.ofSeconds(2))
                .meterRegistry(registry)
                .build();

        try (daemon) {
            daemon.start();
            List<AppendResult> appends = CountingProjection.append(store, "metrics", 25, 5);
            daemon.awaitProjection(name, appends.get(appends.size() - 1), Duration.ofSeconds(30));
            Gauge owned = registry.find("nexus.projection.owned")
                    .tag("owner", daemon.owner())
                    .gauge();
            Gauge lag = registry.find("nexus.projection.lag")
                    .tag("projection", name)
                    .gauge();
            Timer batches = registry.find("nexus.projection.batch.time")
                    .tag("projection", name)
                    .timer();

            // The counter moves just after the batch commits, and awaitProjection returns as soon as it has.
            await("all events counted")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> counter("nexus.projection.events.processed", name) >= 25.0 + before);
            assertThat(counter("nexus.projection.events.processed", name)).isEqualTo(25.0 + before);
            assertThat(batches).isNotNull();
            assertThat(batches.count()).isGreaterThanOrEqualTo(3);
            assertThat(owned).isNotNull();
            assertThat(owned.value()).isEqualTo(1.0);
            assertThat(lag).isNotNull();
            await("the lag is 0").atMost(Duration.ofSeconds(30)).until(() -> lag.value() == 0.0);

            projection.failing = true;
            CountingProjection.append(store, "metrics", 3, 3);
            await("a batch failed twice")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> counter("nexus.projection.batch.failures", name) >= 2);
            await("the lag shows the stuck events")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> lag.value() == 3.0);
            projection.failing = false;
            daemon.rebuild(name);
            await("the rebuild caught up")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> lag.value() == 0.0 && daemon.progress(name).status() == ProjectionStatus.ACTIVE);

            assertThat(counter("nexus.projection.rebuilds", name)).isEqualTo(1.0);
            await("the replay counted")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> counter("nexus.projection.events.processed", name) >= 2 * (25.0 + before) + 3);
            assertThat(counter("nexus.projection.events.processed", name))
                    .isGreaterThanOrEqualTo(2 * (25.0 + before) + 3);
        }

        assertThat(registry.find("nexus.projection.lag").gauges()).isEmpty();
        assertThat(registry.find("nexus.projection.owned").gauges()).isEmpty();
    }

    @Test
    void a_daemon_without_a_registry_records_nothing() throws Exception {
        CountingProjection projection =
                new CountingProjection(CountingProjection.uniqueName("quiet")).createTables(jdbi);
        ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                .register(projection)
                .config(FAST)
                .build();

        try (daemon) {
            daemon.start();
            List<AppendResult> appends = CountingProjection.append(store, "quiet", 5, 5);
            daemon.awaitProjection(projection.name(), appends.get(appends.size() - 1), Duration.ofSeconds(30));
        }

        assertThat(registry.getMeters()).isEmpty();
    }

    @Test
    void a_daemon_with_metrics_switched_off_records_nothing_in_the_registry() throws Exception {
        CountingProjection projection = new CountingProjection(CountingProjection.uniqueName("off")).createTables(jdbi);
        ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                .register(projection)
                .config(FAST.toBuilder().metricsEnabled(false).build())
                .meterRegistry(registry)
                .build();

        try (daemon) {
            daemon.start();
            List<AppendResult> appends = CountingProjection.append(store, "off", 5, 5);
            daemon.awaitProjection(projection.name(), appends.get(appends.size() - 1), Duration.ofSeconds(30));
        }

        assertThat(registry.getMeters()).isEmpty();
    }
}
