package io.nexus.eventstore.jdbc;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.EventAppender;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.StreamId;
import java.sql.Connection;
import java.util.List;

/**
 * One open transaction of {@link PostgresEventStore#inTransaction}: appends and the caller's own SQL on one
 * connection, committed together when the callback returns, or rolled back together when it throws.
 *
 * <pre>{@code
 * store.useTransaction(tx -> {
 *     tx.append(StreamId.of("user-42"), ExpectedVersion.noStream(), List.of(NewEvent.of("user.registered", user)));
 *     try (PreparedStatement insert = tx.connection().prepareStatement("INSERT INTO users (id) VALUES (?)")) {
 *         insert.setString(1, "42");
 *         insert.executeUpdate();
 *     }
 * });
 * }</pre>
 *
 * <p>Valid only inside its callback, on the callback's thread (a JDBC connection is not for concurrent use); after the
 * callback every method throws {@link IllegalStateException}. A failed append (a wrong expected version, a duplicate
 * event) aborts the transaction as any failed statement does in PostgreSQL: let the exception leave the callback,
 * which rolls everything back.
 */
public final class PostgresTransaction implements EventAppender {
    private final PostgresEventStore store;
    private final Connection connection;
    private boolean open = true;

    PostgresTransaction(PostgresEventStore store, Connection connection) {
        this.store = store;
        this.connection = connection;
    }

    /**
     * The transaction's connection, for the caller's own statements. Do not commit, roll back, close it or change its
     * autocommit: the store does that when the callback ends.
     *
     * @return the connection, in the transaction (autocommit off)
     * @throws IllegalStateException if the callback has ended
     */
    public Connection connection() {
        requireOpen();
        return connection;
    }

    /**
     * Appends to one stream in this transaction, as {@link PostgresEventStore#append(Connection, StreamId,
     * ExpectedVersion, List)} does.
     *
     * @param streamId the stream to append to
     * @param expectedVersion where the caller believes the stream is
     * @param events the events, at least one
     * @return the versions written and the append's commit id; they count only once the transaction commits
     * @throws io.nexus.eventstore.core.WrongExpectedVersionException if the stream is not where the caller expected;
     *     the transaction is then aborted
     * @throws IllegalStateException if the callback has ended
     */
    @Override
    public AppendResult append(StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events) {
        requireOpen();
        return store.append(connection, streamId, expectedVersion, events);
    }

    /**
     * Appends to several streams in this transaction, as {@link PostgresEventStore#appendAll(Connection, List)} does.
     *
     * @param appends the appends, one per stream
     * @return one result per append, in the order given
     * @throws io.nexus.eventstore.core.WrongExpectedVersionException if a stream is not where the caller expected; the
     *     transaction is then aborted
     * @throws IllegalStateException if the callback has ended
     */
    @Override
    public List<AppendResult> appendAll(List<StreamAppend> appends) {
        requireOpen();
        return store.appendAll(connection, appends);
    }

    void end() {
        open = false;
    }

    private void requireOpen() {
        if (!open) {
            throw new IllegalStateException(
                    "this transaction has ended: use a PostgresTransaction only inside its inTransaction callback");
        }
    }

    /**
     * The work of {@link PostgresEventStore#inTransaction}.
     *
     * @param <T> what the work returns
     */
    @FunctionalInterface
    public interface Callback<T> {
        /**
         * Does the work in {@code tx}.
         *
         * @param tx the open transaction
         * @return the result handed back by {@code inTransaction}
         * @throws java.sql.SQLException from the caller's own statements; the transaction is then rolled back
         */
        T apply(PostgresTransaction tx) throws java.sql.SQLException;
    }

    /** The work of {@link PostgresEventStore#useTransaction}, which returns nothing. */
    @FunctionalInterface
    public interface Consumer {
        /**
         * Does the work in {@code tx}.
         *
         * @param tx the open transaction
         * @throws java.sql.SQLException from the caller's own statements; the transaction is then rolled back
         */
        void accept(PostgresTransaction tx) throws java.sql.SQLException;
    }
}
