package io.nexus.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventsourcing.Accounts.Account;
import io.nexus.eventsourcing.Accounts.Command;
import io.nexus.eventsourcing.Accounts.Deposit;
import io.nexus.eventsourcing.Accounts.Event;
import io.nexus.eventsourcing.Accounts.Open;
import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.SnapshotStore;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.eventstore.jdbc.PostgresSnapshotStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresAggregateRepositoryTest extends AggregateRepositoryContract {
    private final TestDatabase database;
    private final PostgresEventStore store;
    private final PostgresSnapshotStore snapshots;

    PostgresAggregateRepositoryTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .types(Accounts.registry())
                .build();
        this.snapshots = PostgresSnapshotStore.of(store);
        database.execute("CREATE TABLE IF NOT EXISTS audit (account text, note text)");
    }

    @Override
    protected EventStore store() {
        return store;
    }

    @Override
    protected SnapshotStore snapshots() {
        return snapshots;
    }

    @AfterAll
    void close() {
        store.close();
    }

    @Test
    void a_command_in_the_callers_transaction_commits_with_its_rows_or_not_at_all() {
        AggregateRepository<Command, Event, Account> accounts =
                AggregateRepository.builder(store, Accounts.type().build()).build();
        String id = UUID.randomUUID().toString().substring(0, 13);
        accounts.handle(id, new Open("ada"));

        Throwable rolledBack = catchThrowable(() -> store.useTransaction(tx -> {
            accounts.handle(tx, id, new Deposit(100));
            audit(tx.connection(), id, "deposit 100");
            throw new IllegalStateException("the audit said no");
        }));
        Decision<Event, Account> committed = store.inTransaction(tx -> {
            Decision<Event, Account> decision = accounts.handle(tx, id, new Deposit(7));
            audit(tx.connection(), id, "deposit 7");
            return decision;
        });

        assertThat(rolledBack).hasMessage("the audit said no");
        assertThat(committed.state()).isEqualTo(new Account("ada", 7));
        assertThat(accounts.load(id).state()).isEqualTo(new Account("ada", 7));
        assertThat(store.streamVersion(StreamId.of("account-" + id))).isEqualTo(2);
        assertThat(auditNotes(id)).isEqualTo(1);
    }

    private static void audit(java.sql.Connection connection, String id, String note) throws java.sql.SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO audit VALUES (?, ?)")) {
            insert.setString(1, id);
            insert.setString(2, note);
            insert.executeUpdate();
        }
    }

    private int auditNotes(String id) {
        try (java.sql.Connection connection = database.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT count(*) FROM audit WHERE account = ?")) {
            query.setString(1, id);
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
