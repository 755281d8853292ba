package io.nexus.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.contract.TestEvents;
import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 9: a store handed a pool whose connections start with autocommit off (Spring's, and many applications')
 * must commit everything it writes itself: the appends, and the global order its sequencer and its reads assign.
 */
@PostgresTest
@AutoCommitOff
class AutoCommitOffPoolTest {
    private static final int WRITERS = 24;
    private static final Duration RUN_FOR = Duration.ofSeconds(4);

    private final TestDatabase database;
    private final PostgresEventStore store;

    AutoCommitOffPoolTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .types(EventTypeRegistry.rawJson())
                .build();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void the_pool_of_this_class_hands_out_connections_without_autocommit() throws Exception {
        try (Connection connection = database.dataSource().getConnection()) {
            assertThat(connection.getAutoCommit()).isFalse();
        }
    }

    @Test
    @Timeout(120)
    void
            issue_9_a_reader_following_the_global_order_while_24_writers_append_and_roll_back_sees_each_commit_once_in_order()
                    throws Exception {
        GapSafetyScenario.Result result = GapSafetyScenario.builder(database.dataSource(), store)
                .writers(WRITERS)
                .runFor(RUN_FOR)
                .streams("ac", 48)
                .moreCommittedThan(500)
                .connectionPerTransaction()
                .everyOtherWriterAppendsThrough(store)
                .build()
                .run();

        result.assertGapSafe();
        assertThat(lastSequencedPosition())
                .isEqualTo(result.startPosition() + result.committed().size() - 1);
    }

    @Test
    void issue_9_append_all_commits_on_a_pool_without_autocommit() {
        StreamId first = TestEvents.uniqueStream("order");
        StreamId second = TestEvents.uniqueStream("order");

        store.appendAll(List.of(
                StreamAppend.of(first, ExpectedVersion.noStream(), List.of(TestEvents.orderPlaced())),
                StreamAppend.of(second, ExpectedVersion.noStream(), List.of(TestEvents.orderPlaced()))));

        assertThat(store.readStream(first, 1, 10)).hasSize(1);
        assertThat(store.readStream(second, 1, 10)).hasSize(1);
    }

    @Test
    void issue_9_positions_a_read_assigns_are_committed_and_never_assigned_again() throws Exception {
        UUID id = UUID.randomUUID();
        long head = store.headPosition();
        try (Connection connection = database.dataSource().getConnection()) {
            RawAppends.append(connection, TestEvents.uniqueStream("raw").value(), List.of(id));
            connection.commit();
        }

        long position = store.readAll(head + 1, 10).get(0).position();

        assertThat(lastSequencedPosition()).isEqualTo(position);
        assertThat(store.headPosition()).isEqualTo(position);
        assertThat(store.readAll(head + 1, 10))
                .extracting(RecordedEvent::eventId, RecordedEvent::position)
                .containsExactly(tuple(id, position));
    }

    /** The sequencer's row, read on a connection of the test's own: what was committed, not what a session saw. */
    private long lastSequencedPosition() throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet row =
                        statement.executeQuery("SELECT last_position FROM " + database.schema() + ".sequencer")) {
            row.next();
            return row.getLong(1);
        }
    }
}
