package io.nexus.eventstore.core;

import java.util.List;

/**
 * Appends events: the writing capability of an {@link EventStore}, and of a transaction that appends in a caller's
 * unit of work (in the PostgreSQL store, {@code PostgresEventStore.inTransaction}). Code that only writes, such as an
 * aggregate repository deciding inside the caller's transaction, takes this instead of a whole store.
 *
 * <p>Where the events commit is the implementation's: an {@link EventStore} commits each call on its own, a
 * transaction's appender commits with the transaction. Expected versions, idempotent re-sends and the global order
 * hold the same way for both.
 */
public interface EventAppender {
    /**
     * Appends {@code events} to {@code streamId} atomically, if {@code expectedVersion} holds.
     *
     * <p>Idempotent: re-sending the same event ids with the same expected version returns the original result and
     * writes nothing.
     *
     * @param streamId the stream to append to
     * @param expectedVersion where the caller believes the stream is
     * @param events the events to append, at least one
     * @return the versions written and the append's commit id
     * @throws WrongExpectedVersionException if the stream is not where the caller expected; nothing is written
     * @throws DuplicateEventException if an event id is already stored and this is not a re-send of that append
     * @throws EventSerializationException if a payload cannot be serialized
     */
    AppendResult append(StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events);

    /**
     * Appends to several streams in one transaction: either every append happens or none does. Each stream may
     * appear once.
     *
     * @param appends the appends, one per stream
     * @return one result per append, in the order given
     * @throws WrongExpectedVersionException if any stream is not where the caller expected; nothing is written
     */
    List<AppendResult> appendAll(List<StreamAppend> appends);
}
