package io.nexus.eventstore.jdbc;

import static io.nexus.eventstore.core.contract.TestEvents.uniqueStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.Snapshot;
import io.nexus.eventstore.core.SnapshotStore;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.contract.SnapshotStoreContract;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresSnapshotStoreTest extends SnapshotStoreContract {
    private final TestDatabase database;
    private final PostgresEventStore store;
    private final PostgresSnapshotStore snapshots;

    PostgresSnapshotStoreTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource()).build();
        this.snapshots = PostgresSnapshotStore.of(store);
    }

    @Override
    protected SnapshotStore snapshots() {
        return snapshots;
    }

    @AfterAll
    void close() {
        store.close();
    }

    record Retyped(java.util.UUID owner) {}

    @Test
    void the_state_is_stored_as_jsonb() throws Exception {
        StreamId account = uniqueStream("account");

        snapshots.save(new Snapshot<>(account, "bank-account", 3, 1, new Balance("ada", 42), Instant.now()));

        try (Connection connection = database.dataSource().getConnection();
                Statement query = connection.createStatement();
                ResultSet row = query.executeQuery("SELECT state ->> 'owner', jsonb_typeof(state) FROM "
                        + database.schema() + ".snapshots" + " WHERE stream_id = '" + account.value() + "'")) {
            row.next();
            assertThat(row.getString(1)).isEqualTo("ada");
            assertThat(row.getString(2)).isEqualTo("object");
        }
    }

    @Test
    void a_save_in_the_callers_transaction_rolls_back_with_it() throws Exception {
        StreamId account = uniqueStream("account");

        try (Connection connection = database.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            assertThat(snapshots.save(
                            connection,
                            new Snapshot<>(account, "bank-account", 3, 1, new Balance("ada", 42), Instant.now())))
                    .isTrue();
            assertThat(snapshots.load(connection, account, "bank-account", 1, Balance.class))
                    .isPresent();
            connection.rollback();
        }

        assertThat(snapshots.load(account, "bank-account", 1, Balance.class)).isEmpty();
    }

    @Test
    void a_state_that_does_not_fit_the_class_is_a_typed_error() {
        StreamId account = uniqueStream("account");
        snapshots.save(new Snapshot<>(account, "bank-account", 3, 1, new Balance("ada", 42), Instant.now()));

        assertThatThrownBy(() -> snapshots.load(account, "bank-account", 1, Retyped.class))
                .isInstanceOf(EventSerializationException.class)
                .hasMessageContaining("bank-account");
    }
}
