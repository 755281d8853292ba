package io.nexus.spring.boot;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.sql.Connection;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Appends that join the caller's Spring transaction: inside a {@code @Transactional} method (or a {@code
 * TransactionTemplate}) on the store's {@code DataSource}, the events commit with the method's own writes or roll back
 * with them, and a rolled-back append is never dispatched; outside one, each append is its own transaction, as {@link
 * PostgresEventStore#append(StreamId, ExpectedVersion, List)}. Expected versions and idempotent re-sends work as
 * there.
 *
 * <p>Inside a transaction the append runs on the transaction's connection ({@link DataSourceUtils#getConnection}),
 * through {@link PostgresEventStore#append(Connection, StreamId, ExpectedVersion, List)}; after the commit the store
 * orders the new events at once, so subscribers see them without waiting for the sequencer's idle poll. A failed
 * append (a wrong expected version) throws, and the transaction rolls back like on any exception.
 *
 * <p>Thread-safe.
 */
public final class TransactionalAppender {
    private final PostgresEventStore store;
    private final DataSource dataSource;

    /**
     * An appender on {@code store}, joining transactions on {@code dataSource}.
     *
     * @param store the store
     * @param dataSource the pool whose Spring transactions appends join; the one the store runs on
     */
    public TransactionalAppender(PostgresEventStore store, DataSource dataSource) {
        this.store = requireNonNull(store, "store");
        this.dataSource = requireNonNull(dataSource, "dataSource");
    }

    /**
     * Appends {@code events} to {@code streamId}, in the caller's transaction when there is one.
     *
     * @param streamId the stream
     * @param expectedVersion where the caller believes the stream is
     * @param events the events, at least one
     * @return the versions written; inside a transaction they count only once it commits
     * @throws io.nexus.eventstore.core.WrongExpectedVersionException if the stream is not where the caller expected
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database fails
     */
    public AppendResult append(StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events) {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            return store.append(streamId, expectedVersion, events);
        }
        Connection connection = DataSourceUtils.getConnection(dataSource);
        try {
            AppendResult result = store.append(connection, streamId, expectedVersion, events);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    try {
                        store.headPosition(); // orders the commit now: reading the head runs the sequencer
                    } catch (RuntimeException e) {
                        // Committed already; the sequencer's own idle run orders it within a second.
                    }
                }
            });
            return result;
        } finally {
            DataSourceUtils.releaseConnection(connection, dataSource);
        }
    }
}
