package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.EventRetention;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.eventstore.jdbc.RetentionPolicy;
import io.nexus.eventstore.jdbc.RetentionReport;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Retention never takes an event that a durable subscription or a projection has not processed yet (#12). */
@PostgresTest
@Timeout(120)
class RetentionSafetyTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final BusConfig FAST = BusConfig.builder()
            .batchSize(100)
            .flushInterval(Duration.ofMillis(20))
            .build();

    private final TestDatabase database;
    private final Jdbi jdbi;
    private final PostgresEventStore store;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    RetentionSafetyTest(TestDatabase shared) {
        // A database of its own per test: retention and a new projection see every event in the store.
        this.database = shared.sibling();
        this.jdbi = Jdbi.create(database.dataSource());
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
        store.close();
        database.dataSource().close();
    }

    private PostgresEventBus bus() {
        PostgresEventBus bus = PostgresEventBus.builder(store, database.dataSource())
                .config(FAST)
                .build();
        closeables.add(bus);
        return bus;
    }

    private ProjectionDaemon daemon(Projection projection) {
        ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                .register(projection)
                .config(FAST)
                .build();
        closeables.add(daemon);
        return daemon.start();
    }

    private long count(String query) {
        return jdbi.withHandle(h -> h.createQuery(query).mapTo(Long.class).one());
    }

    /** Makes every stored event look {@code days} old; only a test may switch the append-only trigger off. */
    private void ageEveryEvent(int days) throws InterruptedException {
        String events = database.schema() + ".events";
        // Retention works on global positions: wait until the sequencer (asynchronous, after each commit) has given
        // every appended event its position, or an event still without one is neither aged nor removable.
        String unsequenced = "SELECT count(*) FROM " + events + " e WHERE NOT EXISTS (SELECT 1 FROM "
                + database.schema() + ".commits c WHERE c.commit_id >= e.commit_id"
                + " AND coalesce(c.first_commit_id, c.commit_id) <= e.commit_id)";
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (count(unsequenced) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(count(unsequenced)).as("events still without a position").isZero();
        database.execute("ALTER TABLE " + events + " DISABLE TRIGGER events_append_only_trg");
        database.execute("UPDATE " + events + " SET recorded_at = now() - interval '" + days + " days'");
        database.execute("ALTER TABLE " + events + " ENABLE TRIGGER events_append_only_trg");
    }

    @Test
    void issue_12_a_lagging_durable_subscription_and_a_lagging_projection_lose_nothing_to_retention() throws Exception {
        String type = "lag" + UUID.randomUUID().toString().substring(0, 8) + ".happened";
        String subscriptionName = "laggard-" + UUID.randomUUID().toString().substring(0, 8);
        CountingProjection projection =
                new CountingProjection(CountingProjection.uniqueName("lagging")).createTables(jdbi);
        PostgresEventBus bus = bus();
        Deliveries before = new Deliveries();
        DurableSubscription subscription = bus.subscribeDurable(subscriptionName, type, before);
        ProjectionDaemon daemon = daemon(projection);
        for (int i = 0; i < 4; i++) {
            bus.emit(NewEvent.of(type, "{\"n\":" + i + "}"));
        }
        before.awaitDistinct(4, WAIT);
        daemon.awaitPosition(projection.name(), store.headPosition(), WAIT);
        subscription.close();
        daemon.close();
        for (int i = 4; i < 10; i++) {
            bus.emit(NewEvent.of(type, "{\"n\":" + i + "}"));
        }
        ageEveryEvent(40);

        RetentionReport report = EventRetention.create(database.dataSource(), database.schema())
                .run(RetentionPolicy.maxAge(Duration.ofDays(30)));

        assertThat(report.removed()).isEqualTo(4);
        assertThat(report.heldBack()).isEqualTo(6);
        assertThat(report.consumers())
                .extracting(RetentionReport.Consumer::name, RetentionReport.Consumer::events)
                .containsExactlyInAnyOrder(tuple(subscriptionName, 6L), tuple(projection.name(), 6L));
        Deliveries after = new Deliveries();
        bus.subscribeDurable(subscriptionName, type, after);
        ProjectionDaemon restarted = daemon(projection);
        after.awaitDistinct(6, WAIT);
        restarted.awaitPosition(projection.name(), store.headPosition(), WAIT);
        long lastBefore = before.all().get(3).position();
        assertThat(after.all())
                .extracting(RecordedEvent::position)
                .hasSize(6)
                .allMatch(position -> position > lastBefore)
                .isSorted();
        assertThat(projection.appliedCount(jdbi)).isEqualTo(10);
        assertThat(bus.status(subscriptionName).orElseThrow().removedEvents()).isZero();
    }

    @Test
    void a_forced_run_removes_unprocessed_events_and_each_subscriber_says_so_in_its_status_and_metrics()
            throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        String type = "forced" + UUID.randomUUID().toString().substring(0, 8) + ".happened";
        String subscriptionName = "forced-" + UUID.randomUUID().toString().substring(0, 8);
        CountingProjection projection =
                new CountingProjection(CountingProjection.uniqueName("forced")).createTables(jdbi);
        PostgresEventBus bus = PostgresEventBus.builder(store, database.dataSource())
                .config(FAST)
                .meterRegistry(meters)
                .build();
        closeables.add(bus);
        Deliveries before = new Deliveries();
        DurableSubscription subscription = bus.subscribeDurable(subscriptionName, type, before);
        bus.emit(NewEvent.of(type, "{}"));
        before.awaitDistinct(1, WAIT);
        subscription.close();
        for (int i = 0; i < 5; i++) {
            bus.emit(NewEvent.of(type, "{}"));
        }
        ageEveryEvent(40);

        RetentionReport report = EventRetention.create(database.dataSource(), database.schema())
                .force(RetentionPolicy.maxAge(Duration.ofDays(30)));
        bus.emit(NewEvent.of(type, "{}"));
        Deliveries after = new Deliveries();
        bus.subscribeDurable(subscriptionName, type, after);
        ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                .register(projection)
                .config(FAST)
                .meterRegistry(meters)
                .build();
        closeables.add(daemon);
        daemon.start();

        after.awaitDistinct(1, WAIT);
        daemon.awaitPosition(projection.name(), store.headPosition(), WAIT);
        assertThat(report.removed()).isEqualTo(6);
        assertThat(report.unprocessed()).isEqualTo(5);
        assertThat(report.consumers())
                .extracting(RetentionReport.Consumer::name, RetentionReport.Consumer::events)
                .containsExactly(tuple(subscriptionName, 5L));
        assertThat(after.all()).hasSize(1);
        SubscriptionStatus status = bus.status(subscriptionName).orElseThrow();
        assertThat(status.removedEvents()).isEqualTo(5);
        assertThat(status.removedEventsAt()).isNotNull();
        assertThat(daemon.status(projection.name()).orElseThrow().removedEvents())
                .isEqualTo(6);
        // The counters move just after the transaction that recorded the removal commits: the status can be read
        // a moment before them.
        await("the subscription's removed-events counter")
                .atMost(WAIT)
                .until(() -> counted(meters, "nexus.bus.events.removed", "subscription", subscriptionName) >= 5);
        await("the projection's removed-events counter")
                .atMost(WAIT)
                .until(() -> counted(meters, "nexus.projection.events.removed", "projection", projection.name()) >= 6);
        assertThat(counted(meters, "nexus.bus.events.removed", "subscription", subscriptionName))
                .isEqualTo(5.0);
        assertThat(counted(meters, "nexus.projection.events.removed", "projection", projection.name()))
                .isEqualTo(6.0);
        assertThat(projection.appliedCount(jdbi)).isEqualTo(1);
    }

    private static double counted(SimpleMeterRegistry meters, String name, String tag, String value) {
        Counter counter = meters.find(name).tag(tag, value).counter();
        return counter == null ? 0 : counter.count();
    }
}
