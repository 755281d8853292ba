package io.nexus.eventstore.jdbc;

import static io.nexus.eventstore.core.contract.TestEvents.orderPlaced;
import static io.nexus.eventstore.core.contract.TestEvents.orderShipped;
import static io.nexus.eventstore.core.contract.TestEvents.uniqueStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.WrongExpectedVersionException;
import io.nexus.eventstore.core.contract.TestEvents;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionTemplate;

/** Appends in the caller's transaction: on its connection, a Jdbi handle, Spring's, and the store's unit of work. */
@PostgresTest
@Timeout(60)
class TransactionalAppendTest {
    private final TestDatabase database;
    private final PostgresEventStore store;

    TransactionalAppendTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .types(TestEvents.registry())
                .build();
    }

    @BeforeEach
    void create_the_users_table() {
        database.execute("CREATE TABLE IF NOT EXISTS users (id text PRIMARY KEY)");
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void events_and_the_callers_row_commit_together_on_its_connection() throws Exception {
        StreamId user = uniqueStream("user");

        try (Connection connection = database.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            insertUser(connection, user.value());
            AppendResult result = store.append(connection, user, ExpectedVersion.noStream(), List.of(orderPlaced()));
            assertThat(store.streamVersion(user))
                    .as("invisible before the commit")
                    .isZero();
            connection.commit();
            assertThat(result.nextExpectedVersion()).isEqualTo(1);
        }

        assertThat(store.readStream(user, 1, 10)).hasSize(1);
        assertThat(userExists(user.value())).isTrue();
        awaitPositionOf(user);
    }

    @Test
    void a_rollback_leaves_neither_the_events_nor_the_callers_row() throws Exception {
        StreamId user = uniqueStream("user");
        long head = store.headPosition();

        try (Connection connection = database.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            insertUser(connection, user.value());
            store.append(connection, user, ExpectedVersion.noStream(), List.of(orderPlaced()));
            connection.rollback();
        }

        assertThat(store.streamVersion(user)).isZero();
        assertThat(userExists(user.value())).isFalse();
        assertThat(store.readAll(head + 1, 100))
                .noneMatch(event -> event.streamId().equals(user));
    }

    @Test
    void a_connection_in_autocommit_is_refused_naming_the_fix_and_nothing_is_written() throws Exception {
        StreamId order = uniqueStream("order");

        Throwable thrown;
        try (Connection connection = database.dataSource().getConnection()) {
            connection.setAutoCommit(true);
            thrown = catchThrowable(
                    () -> store.append(connection, order, ExpectedVersion.any(), List.of(orderPlaced())));
            assertThat(connection.getAutoCommit()).as("left as it was").isTrue();
        }

        assertThat(thrown)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("autocommit")
                .hasMessageContaining("setAutoCommit(false)")
                .hasMessageContaining("store.inTransaction");
        assertThat(store.streamVersion(order)).isZero();
    }

    @Test
    void a_stale_expected_version_is_rejected_in_the_callers_transaction_and_nothing_commits() throws Exception {
        StreamId order = uniqueStream("order");
        store.append(order, ExpectedVersion.noStream(), List.of(orderPlaced()));

        Throwable thrown;
        try (Connection connection = database.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            insertUser(connection, order.value());
            thrown = catchThrowable(
                    () -> store.append(connection, order, ExpectedVersion.noStream(), List.of(orderShipped())));
            connection.rollback();
        }

        assertThat(thrown)
                .isInstanceOfSatisfying(
                        WrongExpectedVersionException.class,
                        wrong -> assertThat(wrong.actualVersion()).isEqualTo(1));
        assertThat(store.streamVersion(order)).isEqualTo(1);
        assertThat(userExists(order.value())).isFalse();
    }

    @Test
    void a_resent_append_in_a_transaction_returns_the_first_result_and_writes_nothing() throws Exception {
        StreamId order = uniqueStream("order");
        List<NewEvent> events = List.of(orderPlaced(), orderShipped());
        AppendResult first = store.append(order, ExpectedVersion.noStream(), events);

        AppendResult again;
        try (Connection connection = database.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            again = store.append(connection, order, ExpectedVersion.noStream(), events);
            connection.commit();
        }

        assertThat(again).isEqualTo(first);
        assertThat(store.readStream(order, 1, 10)).hasSize(2);
    }

    @Test
    void append_all_on_the_callers_connection_is_all_or_nothing() throws Exception {
        StreamId order = uniqueStream("order");
        StreamId taken = uniqueStream("order");
        store.append(taken, ExpectedVersion.noStream(), List.of(orderPlaced()));

        Throwable thrown;
        try (Connection connection = database.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            thrown = catchThrowable(() -> store.appendAll(
                    connection,
                    List.of(
                            StreamAppend.of(order, ExpectedVersion.noStream(), List.of(orderPlaced())),
                            StreamAppend.of(taken, ExpectedVersion.noStream(), List.of(orderShipped())))));
            connection.rollback();
        }

        assertThat(thrown).isInstanceOf(WrongExpectedVersionException.class);
        assertThat(store.streamVersion(order)).isZero();
        assertThat(store.streamVersion(taken)).isEqualTo(1);
    }

    @Test
    void the_unit_of_work_commits_appends_and_rows_together_and_orders_them() {
        StreamId user = uniqueStream("user");

        AppendResult result = store.inTransaction(tx -> {
            insertUser(tx.connection(), user.value());
            return tx.append(user, ExpectedVersion.noStream(), List.of(orderPlaced()));
        });

        assertThat(userExists(user.value())).isTrue();
        assertThat(store.readStream(user, 1, 10)).hasSize(1);
        assertThat(result.nextExpectedVersion()).isEqualTo(1);
        awaitPositionOf(user);
    }

    @Test
    void the_unit_of_work_rolls_back_everything_when_the_callback_throws() {
        StreamId user = uniqueStream("user");
        IllegalStateException failure = new IllegalStateException("the business rule said no");

        Throwable thrown = catchThrowable(() -> store.useTransaction(tx -> {
            insertUser(tx.connection(), user.value());
            tx.append(user, ExpectedVersion.noStream(), List.of(orderPlaced()));
            throw failure;
        }));

        assertThat(thrown).isSameAs(failure);
        assertThat(userExists(user.value())).isFalse();
        assertThat(store.streamVersion(user)).isZero();
    }

    @Test
    void an_sql_failure_of_the_callers_own_statement_rolls_back_and_is_typed() {
        StreamId user = uniqueStream("user");

        Throwable thrown = catchThrowable(() -> store.useTransaction(tx -> {
            tx.append(user, ExpectedVersion.noStream(), List.of(orderPlaced()));
            try (PreparedStatement bad = tx.connection().prepareStatement("INSERT INTO no_such_table VALUES (1)")) {
                bad.executeUpdate();
            }
        }));

        assertThat(thrown).isInstanceOf(EventStoreAccessException.class).hasCauseInstanceOf(SQLException.class);
        assertThat(store.streamVersion(user)).isZero();
    }

    @Test
    void a_wrong_expected_version_in_the_unit_of_work_rolls_back_the_earlier_appends() {
        StreamId first = uniqueStream("order");
        StreamId taken = uniqueStream("order");
        store.append(taken, ExpectedVersion.noStream(), List.of(orderPlaced()));

        Throwable thrown = catchThrowable(() -> store.useTransaction(tx -> {
            tx.append(first, ExpectedVersion.noStream(), List.of(orderPlaced()));
            tx.append(taken, ExpectedVersion.noStream(), List.of(orderShipped()));
        }));

        assertThat(thrown).isInstanceOf(WrongExpectedVersionException.class);
        assertThat(store.streamVersion(first)).isZero();
    }

    @Test
    void a_transaction_used_after_its_callback_is_refused() {
        AtomicReference<PostgresTransaction> kept = new AtomicReference<>();
        store.useTransaction(kept::set);

        assertThatThrownBy(() -> kept.get().connection())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has ended");
        assertThatThrownBy(
                        () -> kept.get().append(uniqueStream("order"), ExpectedVersion.any(), List.of(orderPlaced())))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void a_jdbi_handle_in_a_transaction_appends_with_its_rows() {
        StreamId user = uniqueStream("user");
        // On a pool with autocommit off, Jdbi takes every handle for one already in a transaction and never commits:
        // the application's Jdbi needs autocommit connections for its transactions to mean anything.
        Jdbi jdbi = Jdbi.create(AutoCommitDataSource.from(database.dataSource()));

        jdbi.useTransaction(handle -> {
            handle.execute("INSERT INTO users (id) VALUES (?)", user.value());
            store.append(handle, user, ExpectedVersion.noStream(), List.of(orderPlaced()));
        });
        Throwable rolledBack = catchThrowable(() -> jdbi.useTransaction(handle -> {
            store.append(handle, user, ExpectedVersion.exactly(1), List.of(orderShipped()));
            throw new IllegalStateException("roll back");
        }));

        assertThat(rolledBack).hasMessage("roll back");
        assertThat(userExists(user.value())).isTrue();
        assertThat(store.streamVersion(user)).isEqualTo(1);
    }

    @Test
    void a_spring_managed_connection_commits_and_rolls_back_with_springs_transaction() {
        DataSourceTransactionManager manager = new DataSourceTransactionManager(database.dataSource());
        TransactionTemplate template = new TransactionTemplate(manager);
        StreamId committed = uniqueStream("user");
        StreamId rolledBack = uniqueStream("user");

        template.executeWithoutResult(status -> {
            Connection connection = DataSourceUtils.getConnection(database.dataSource());
            insertUnchecked(connection, committed.value());
            store.append(connection, committed, ExpectedVersion.noStream(), List.of(orderPlaced()));
        });
        template.executeWithoutResult(status -> {
            Connection connection = DataSourceUtils.getConnection(database.dataSource());
            insertUnchecked(connection, rolledBack.value());
            store.append(connection, rolledBack, ExpectedVersion.noStream(), List.of(orderPlaced()));
            status.setRollbackOnly();
        });

        assertThat(userExists(committed.value())).isTrue();
        assertThat(store.streamVersion(committed)).isEqualTo(1);
        assertThat(userExists(rolledBack.value())).isFalse();
        assertThat(store.streamVersion(rolledBack)).isZero();
    }

    @Test
    void an_open_callers_transaction_is_ordered_after_it_commits_and_no_reader_skips_it() throws Exception {
        StreamId late = uniqueStream("order");
        StreamId early = uniqueStream("order");
        long start = store.headPosition();

        List<RecordedEvent> seen = new ArrayList<>();
        try (Connection connection = database.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            store.append(connection, late, ExpectedVersion.noStream(), List.of(orderPlaced()));
            store.append(early, ExpectedVersion.noStream(), List.of(orderPlaced()));
            seen.addAll(store.readAll(start + 1, 100));
            connection.commit();
        }
        seen.addAll(store.readAll(seen.get(seen.size() - 1).position() + 1, 100));

        assertThat(seen).extracting(RecordedEvent::streamId).containsExactly(early, late);
        assertThat(seen).extracting(RecordedEvent::position).containsExactly(start + 1, start + 2);
    }

    @Test
    void concurrent_transactions_with_one_expected_version_let_exactly_one_win() throws Exception {
        int writers = 8;
        StreamId order = uniqueStream("order");
        store.append(order, ExpectedVersion.noStream(), List.of(orderPlaced()));
        CyclicBarrier start = new CyclicBarrier(writers);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<Boolean>> outcomes = new ArrayList<>();
        try {
            for (int i = 0; i < writers; i++) {
                outcomes.add(pool.submit(() -> {
                    start.await();
                    try {
                        store.useTransaction(
                                tx -> tx.append(order, ExpectedVersion.exactly(1), List.of(orderShipped())));
                        return true;
                    } catch (WrongExpectedVersionException lost) {
                        return false;
                    }
                }));
            }
            int winners = 0;
            for (Future<Boolean> outcome : outcomes) {
                winners += outcome.get() ? 1 : 0;
            }

            assertThat(winners).isEqualTo(1);
            assertThat(store.readStream(order, 1, 100)).hasSize(2);
        } finally {
            pool.shutdownNow();
        }
    }

    private void awaitPositionOf(StreamId stream) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (store.readStream(stream, 1, 1).get(0).position() == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("stream " + stream + " was never ordered");
            }
            Thread.onSpinWait();
        }
    }

    private static void insertUser(Connection connection, String id) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO users (id) VALUES (?)")) {
            insert.setString(1, id);
            insert.executeUpdate();
        }
    }

    private static void insertUnchecked(Connection connection, String id) {
        try {
            insertUser(connection, id);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private boolean userExists(String id) {
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT count(*) FROM users WHERE id = ?")) {
            query.setString(1, id);
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return row.getInt(1) == 1;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
