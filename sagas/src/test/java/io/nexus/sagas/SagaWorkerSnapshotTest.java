package io.nexus.sagas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nexus.eventbus.BusConfig;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.fixtures.TestClock;
import io.nexus.sagas.ReminderSaga.Reminder;
import io.nexus.sagas.ReminderSaga.TaskOpened;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A long-lived saga with snapshots: saved in the step's transaction, and loading starts from the latest. */
@PostgresTest
@Timeout(120)
class SagaWorkerSnapshotTest {
    private final TestDatabase database;
    private final Jdbi jdbi;
    private final PostgresEventStore store;
    private final TestClock clock = TestClock.create();

    SagaWorkerSnapshotTest(TestDatabase database) {
        this.database = database;
        this.jdbi = Jdbi.create(database.dataSource());
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .types(ReminderSaga.types())
                .build();
    }

    @AfterEach
    void close() {
        store.close();
    }

    private SagaWorker.Builder worker() {
        return SagaWorker.builder(new ReminderSaga(), store, database.dataSource())
                .clock(clock)
                .partitions(2)
                .config(BusConfig.builder().flushInterval(Duration.ofMillis(20)).build());
    }

    private List<Integer> reminders(String taskId) {
        return store.readStream(StreamId.of("task", taskId), 1, 100).stream()
                .map(RecordedEvent::data)
                .filter(Reminder.class::isInstance)
                .map(data -> ((Reminder) data).count())
                .toList();
    }

    @Test
    void snapshots_are_saved_with_the_steps_and_loading_starts_from_the_latest() throws Exception {
        try (SagaWorker worker = worker().snapshots(new SagaSnapshots<>(ReminderSaga.State.class, 1, 3))
                .build()
                .start()) {
            store.append(
                    StreamId.of("task", "t-1"),
                    ExpectedVersion.noStream(),
                    List.of(NewEvent.of(new TaskOpened("t-1"))));
            worker.awaitPosition(store.headPosition(), Duration.ofSeconds(30));
            awaitOwnsAll(worker);
            for (int hour = 0; hour < 5; hour++) {
                clock.advance(Duration.ofHours(1));
                assertThat(worker.fireDueDeadlines()).isEqualTo(1);
            }
            long snapshotVersion = jdbi.withHandle(h -> h.createQuery("SELECT stream_version FROM " + database.schema()
                            + ".snapshots WHERE stream_id = 'saga-reminder-t-1'")
                    .mapTo(Long.class)
                    .one());
            // The snapshot is only a cache: changing it shows that the next step starts from it, not from the stream.
            jdbi.useHandle(h -> h.execute(
                    "UPDATE " + database.schema() + ".snapshots SET state = jsonb_set(state, '{reminders}', '100')"));
            clock.advance(Duration.ofHours(1));
            worker.fireDueDeadlines();

            assertThat(snapshotVersion).isEqualTo(store.streamVersion(StreamId.of("saga-reminder-t-1")) - 3);
            assertThat(snapshotVersion % 3).isZero();
            assertThat(reminders("t-1")).containsExactly(1, 2, 3, 4, 5, 100);
        }
    }

    /**
     * A snapshot is a cache: one whose state no longer decodes costs a full fold, never the partition's progress. And
     * an instance restored from a snapshot stays in its conversation: what it emits carries the correlation id of the
     * event that started it, as it does when folded from the start.
     */
    @Test
    void a_snapshot_that_cannot_be_decoded_costs_a_fold_and_a_restored_instance_keeps_its_conversation()
            throws Exception {
        UUID conversation = UUID.randomUUID();
        try (SagaWorker worker = worker().snapshots(new SagaSnapshots<>(ReminderSaga.State.class, 1, 3))
                .build()
                .start()) {
            store.append(
                    StreamId.of("task", "t-2"),
                    ExpectedVersion.noStream(),
                    List.of(NewEvent.of(new TaskOpened("t-2")).withCorrelationId(conversation)));
            worker.awaitPosition(store.headPosition(), Duration.ofSeconds(30));
            awaitOwnsAll(worker);
            for (int hour = 0; hour < 5; hour++) {
                clock.advance(Duration.ofHours(1));
                assertThat(worker.fireDueDeadlines()).isEqualTo(1);
            }
            jdbi.useHandle(h -> h.execute("UPDATE " + database.schema()
                    + ".snapshots SET state = '{\"taskId\": \"t-2\", \"reminders\": \"many\"}'"
                    + " WHERE stream_id = 'saga-reminder-t-2'"));
            clock.advance(Duration.ofHours(1));

            assertThat(worker.fireDueDeadlines()).isEqualTo(1);
            assertThat(reminders("t-2")).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(store.readStream(StreamId.of("task", "t-2"), 2, 100))
                    .extracting(RecordedEvent::correlationId)
                    .hasSize(6)
                    .containsOnly(conversation);
        }
    }

    @Test
    void snapshots_of_another_state_class_are_refused_at_build() {
        assertThatThrownBy(() -> worker().snapshots(new SagaSnapshots<>(String.class, 1, 3))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.lang.String")
                .hasMessageContaining("ReminderSaga$State");
    }

    private static void awaitOwnsAll(SagaWorker worker) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (worker.ownedPartitions().size() < worker.partitions()) {
            assertThat(System.nanoTime() - deadline)
                    .as("the worker owns every partition")
                    .isNegative();
            Thread.sleep(20);
        }
    }
}
