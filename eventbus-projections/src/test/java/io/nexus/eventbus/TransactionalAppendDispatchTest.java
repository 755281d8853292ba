package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Appends in the caller's transaction reach subscribers only when they commit: a user row and its events commit
 * together or not at all, and a rolled-back append is dispatched to no listener and no durable subscription.
 */
@PostgresTest
@Timeout(60)
class TransactionalAppendDispatchTest {
    private final TestDatabase database;
    private PostgresEventBus bus;

    TransactionalAppendDispatchTest(TestDatabase database) {
        this.database = database;
    }

    @BeforeEach
    void open_bus() {
        database.execute("CREATE TABLE IF NOT EXISTS users (id text PRIMARY KEY)");
        bus = PostgresEventBus.builder(database.dataSource())
                .schema(database.schema())
                .build();
    }

    @AfterEach
    void close_bus() {
        bus.close();
    }

    @Test
    void a_rolled_back_append_is_dispatched_to_no_subscriber_and_a_committed_one_is_with_its_row() throws Exception {
        String type = "user.registered." + UUID.randomUUID().toString().substring(0, 8);
        Recorder listener = new Recorder();
        Recorder durable = new Recorder();
        bus.subscribe(type, listener);
        bus.subscribeDurable("mailer-" + type, type, durable);
        PostgresEventStore store = bus.store();
        StreamId rolledBack = StreamId.of("user-" + UUID.randomUUID());
        StreamId committed = StreamId.of("user-" + UUID.randomUUID());

        Throwable thrown = catchThrowable(() -> store.useTransaction(tx -> {
            register(tx.connection(), rolledBack.value());
            tx.append(rolledBack, ExpectedVersion.noStream(), List.of(NewEvent.of(type, "{\"n\":1}")));
            throw new IllegalStateException("the welcome mail address bounced");
        }));
        try (Connection connection = database.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            register(connection, rolledBack.value() + "-manual");
            store.append(connection, rolledBack, ExpectedVersion.noStream(), List.of(NewEvent.of(type, "{\"n\":2}")));
            connection.rollback();
        }
        store.useTransaction(tx -> {
            register(tx.connection(), committed.value());
            tx.append(committed, ExpectedVersion.noStream(), List.of(NewEvent.of(type, "{\"n\":3}")));
        });

        // Both follow the global order: once they have the committed event, anything before it was dispatched too.
        listener.awaitCount(1);
        durable.awaitCount(1);
        assertThat(thrown).hasMessage("the welcome mail address bounced");
        assertThat(listener.events()).extracting(RecordedEvent::streamId).containsExactly(committed);
        assertThat(durable.events()).extracting(RecordedEvent::streamId).containsExactly(committed);
        assertThat(registered(committed.value())).isTrue();
        assertThat(registered(rolledBack.value())).isFalse();
        assertThat(registered(rolledBack.value() + "-manual")).isFalse();
        assertThat(store.streamVersion(rolledBack)).isZero();
    }

    private static void register(Connection connection, String id) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO users (id) VALUES (?)")) {
            insert.setString(1, id);
            insert.executeUpdate();
        }
    }

    private boolean registered(String id) throws SQLException {
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT count(*) FROM users WHERE id = ?")) {
            query.setString(1, id);
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return row.getInt(1) == 1;
            }
        }
    }
}
