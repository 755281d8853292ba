package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 9: a bus and a projection daemon handed a pool whose connections start with autocommit off (Spring's, and many
 * applications') must commit their own writes (subscriptions, checkpoints, leases) and the global order they read.
 */
@PostgresTest
@AutoCommitOff
@Timeout(120)
class AutoCommitOffPoolTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final TestDatabase database;

    AutoCommitOffPoolTest(TestDatabase database) {
        this.database = database;
    }

    @Test
    void issue_9_a_durable_subscription_on_a_bus_without_autocommit_receives_every_event_once_in_order()
            throws Exception {
        int events = 60;
        String type = "ac" + UUID.randomUUID().toString().substring(0, 8) + ".happened";
        String name = "sub-" + UUID.randomUUID().toString().substring(0, 8);
        Deliveries deliveries = new Deliveries();
        List<UUID> emitted = new ArrayList<>();
        try (PostgresEventBus bus = PostgresEventBus.builder(database.dataSource())
                .schema(database.schema())
                .flushInterval(Duration.ofMillis(50))
                .build()) {
            bus.subscribeDurable(name, type, deliveries);

            for (int i = 0; i < events; i++) {
                NewEvent event = NewEvent.of(type, "{\"n\":" + i + "}");
                bus.emit(event);
                emitted.add(event.eventId());
            }

            deliveries.awaitDistinct(events, WAIT);
            Thread.sleep(300);
        }
        assertThat(deliveries.all()).extracting(RecordedEvent::eventId).containsExactlyElementsOf(emitted);
        List<Long> positions =
                deliveries.all().stream().map(RecordedEvent::position).toList();
        assertThat(positions).isSorted().doesNotHaveDuplicates();
        assertThat(storedCheckpoint(name)).isEqualTo(positions.get(events - 1));
    }

    @Test
    void issue_9_a_projection_on_a_daemon_without_autocommit_applies_every_event_once() throws Exception {
        int events = 200;
        Jdbi jdbi = Jdbi.create(database.dataSource());
        CountingProjection projection = new CountingProjection(CountingProjection.uniqueName("ac")).createTables(jdbi);
        try (PostgresEventStore store = PostgresEventStore.builder(database.dataSource())
                        .schema(database.schema())
                        .build();
                ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                        .register(projection)
                        .config(BusConfig.builder()
                                .batchSize(50)
                                .flushInterval(Duration.ofMillis(20))
                                .build())
                        .build()
                        .start()) {
            List<AppendResult> appends = CountingProjection.append(store, "ac", events, 5);

            long checkpoint = daemon.awaitProjection(projection.name(), appends.get(appends.size() - 1), WAIT);

            assertThat(checkpoint).isEqualTo(store.headPosition());
            assertThat(projection.appliedCount(jdbi))
                    .as("every event of the store, this test's among them, once")
                    .isEqualTo(checkpoint);
            projection.assertEqualsFreshReplay(jdbi, store);
            assertThat(storedCheckpoint(projection.name())).isEqualTo(checkpoint);
        }
    }

    /** The checkpoint as committed, read on a connection of the test's own. */
    private long storedCheckpoint(String name) {
        return Jdbi.create(database.dataSource())
                .withHandle(handle -> handle.createQuery(
                                "SELECT position FROM " + database.schema() + ".subscriptions WHERE name = :name")
                        .bind("name", name)
                        .mapTo(Long.class)
                        .one());
    }
}
