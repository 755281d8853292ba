package io.nexus.sagas;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventbus.BusConfig;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.VersionedJson;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.fixtures.TestClock;
import io.nexus.sagas.ReminderSaga.Reminded;
import io.nexus.sagas.ReminderSaga.TaskClosed;
import io.nexus.sagas.ReminderSaga.TaskOpened;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Sagas read the global order through the store's upcasters: an event stored under an old name and shape starts one. */
@PostgresTest
@Timeout(120)
class SagaUpcastTest {
    private final TestDatabase database;
    private final PostgresEventStore store;
    private final PostgresEventStore olderRelease;

    SagaUpcastTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .types(EventTypeRegistry.builder()
                        .register(TaskOpened.class, TaskClosed.class, ReminderSaga.Reminder.class, Reminded.class)
                        // An older release wrote "todo.opened" with the task's id as "id".
                        .upcast(
                                "todo.opened",
                                1,
                                stored -> List.of(VersionedJson.of(
                                        "task.opened",
                                        1,
                                        Map.of("taskId", stored.data().get("id")))))
                        .build())
                .build();
        this.olderRelease = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
    }

    @AfterEach
    void close() {
        olderRelease.close();
        store.close();
    }

    @Test
    void an_event_stored_under_an_old_name_and_shape_starts_the_saga_upcast() throws Exception {
        olderRelease.append(
                StreamId.of("task", "t-9"),
                ExpectedVersion.noStream(),
                List.of(NewEvent.of("todo.opened", RawJson.of("{\"id\":\"t-9\"}"))));

        try (SagaWorker worker = SagaWorker.builder(new ReminderSaga(), store, database.dataSource())
                .clock(TestClock.create())
                .config(BusConfig.builder().flushInterval(Duration.ofMillis(20)).build())
                .build()
                .start()) {
            worker.awaitPosition(store.headPosition(), Duration.ofSeconds(30));
        }

        List<RecordedEvent> history = store.readStream(StreamId.of("saga-reminder-t-9"), 1, 10);
        assertThat(history).extracting(RecordedEvent::data).contains(new Reminded("t-9"));
    }
}
