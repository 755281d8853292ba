package io.nexus.eventstore.jdbc;

import static io.nexus.eventstore.core.contract.TestEvents.uniqueStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.internal.SqlErrors;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

@PostgresTest
class EventRetentionTest {
    private final TestDatabase database;
    private final PostgresEventStore store;

    EventRetentionTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource()).build();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void events_older_than_the_age_leave_and_the_rest_keep_versions_and_positions() {
        StreamId stream = uniqueStream("order");
        store.append(stream, ExpectedVersion.noStream(), List.of(event(), event()));
        database.execute("ALTER TABLE nexus.events DISABLE TRIGGER events_append_only_trg");
        database.execute("UPDATE nexus.events SET recorded_at = now() - interval '40 days'");
        database.execute("ALTER TABLE nexus.events ENABLE TRIGGER events_append_only_trg");
        store.append(stream, ExpectedVersion.exactly(2), List.of(event()));
        long lastPosition = store.readStream(stream, 3, 1).get(0).position();

        int removed = EventRetention.create(database.dataSource(), "nexus").removeOlderThan(Duration.ofDays(30));

        assertThat(removed).isEqualTo(2);
        List<RecordedEvent> left = store.readStream(stream, 1, 10);
        assertThat(left).extracting(RecordedEvent::streamVersion).containsExactly(3L);
        assertThat(left.get(0).position()).isEqualTo(lastPosition);
        assertThat(store.streamVersion(stream)).isEqualTo(3);
        assertThat(store.readAll(1, 10))
                .extracting(RecordedEvent::streamVersion)
                .containsExactly(3L);
    }

    @Test
    void a_plain_delete_stays_refused_outside_the_retention_path() {
        store.append(uniqueStream("order"), ExpectedVersion.any(), List.of(event()));

        Throwable thrown = catchThrowable(() -> database.execute("DELETE FROM nexus.events"));

        assertThat(SqlErrors.sqlState(thrown)).isEqualTo(SqlErrors.APPEND_ONLY);
        assertThatThrownBy(() ->
                        EventRetention.create(database.dataSource(), "nexus").removeOlderThan(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static NewEvent event() {
        return NewEvent.of("order.noted", RawJson.of("{}"));
    }
}
