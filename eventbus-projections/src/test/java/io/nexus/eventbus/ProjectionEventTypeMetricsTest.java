package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** In a database of its own: a projection here sees every event, so other tests' types would mix into its counters. */
@PostgresTest
@Timeout(120)
class ProjectionEventTypeMetricsTest {
    private final TestDatabase database;
    private final PostgresEventStore store;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    ProjectionEventTypeMetricsTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
    }

    @AfterEach
    void close() {
        store.close();
    }

    private double processed(String projection, String type) {
        Counter counter = registry.find("nexus.projection.events.processed")
                .tags("projection", projection, "type", type)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    private double processedInAll(String projection) {
        return registry.find("nexus.projection.events.processed").tag("projection", projection).counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }

    @Test
    void a_projection_counts_its_processed_events_per_event_type() throws Exception {
        CountingProjection projection = new CountingProjection(CountingProjection.uniqueName("typed"))
                .createTables(Jdbi.create(database.dataSource()));
        String name = projection.name();
        List<AppendResult> appends = new ArrayList<>();
        ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                .register(projection)
                .config(BusConfig.builder()
                        .batchSize(4)
                        .flushInterval(Duration.ofMillis(20))
                        .build())
                .meterRegistry(registry)
                .build();

        try (daemon) {
            daemon.start();
            for (int i = 0; i < 7; i++) {
                String type = i % 3 == 0 ? "typed.shipped" : "typed.placed";
                appends.add(store.append(
                        StreamId.of("typed", i),
                        ExpectedVersion.any(),
                        List.of(NewEvent.of(type, RawJson.of("{}")), NewEvent.of("typed.noted", RawJson.of("{}")))));
            }
            daemon.awaitProjection(name, appends.get(appends.size() - 1), Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            // The counters move just after the batch commits, and awaitProjection returns as soon as it has.
            while (processedInAll(name) < 14 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }

        assertThat(processed(name, "typed.placed")).isEqualTo(4);
        assertThat(processed(name, "typed.shipped")).isEqualTo(3);
        assertThat(processed(name, "typed.noted")).isEqualTo(7);
        assertThat(registry.find("nexus.projection.events.processed")
                        .tag("projection", name)
                        .counters())
                .hasSize(3)
                .extracting(Counter::count)
                .containsExactlyInAnyOrder(4.0, 3.0, 7.0);
    }
}
