package io.nexus.eventstore.core;

import java.util.List;
import java.util.Optional;

/**
 * An append-only store of event streams with a gap-safe global order. Implementations are thread-safe.
 *
 * <p>Versions: a stream's version is its number of events; its first event has version 1. Positions: the global
 * order starts at position 1 and, among committed events, has no holes and never changes; a reader that asks for
 * everything from a position never misses a committed event and never sees one twice.
 *
 * <p>Every method throws {@link EventStoreAccessException} when the store cannot be reached; bad arguments throw
 * {@link IllegalArgumentException} or {@link NullPointerException} before anything is written.
 */
public interface EventStore {
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

    /**
     * Reads a stream forward.
     *
     * @param streamId the stream to read
     * @param fromVersion the version of the first event to return (versions start at 1)
     * @param maxCount the most events to return
     * @return up to {@code maxCount} events of the stream with version {@code >= fromVersion}, oldest first; empty
     *     when the stream does not exist
     */
    List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int maxCount);

    /**
     * Reads a stream backward, newest first.
     *
     * @param streamId the stream to read
     * @param fromVersion the version of the first event to return; {@link Long#MAX_VALUE} starts at the end
     * @param maxCount the most events to return
     * @return up to {@code maxCount} events of the stream with version {@code <= fromVersion}, newest first
     */
    List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int maxCount);

    /**
     * Tells how far a stream has come.
     *
     * @param streamId the stream
     * @return the stream's version (its number of events); 0 when it does not exist
     */
    long streamVersion(StreamId streamId);

    /**
     * Tells whether a stream has at least one event.
     *
     * @param streamId the stream
     * @return whether it has events
     */
    default boolean streamExists(StreamId streamId) {
        return streamVersion(streamId) > 0;
    }

    /**
     * Reads the global order, every stream and type.
     *
     * @param fromPosition the global position of the first event to return (positions start at 1)
     * @param maxCount the most events to return
     * @return up to {@code maxCount} events with global position {@code >= fromPosition}, in the global order
     */
    default List<RecordedEvent> readAll(long fromPosition, int maxCount) {
        return readAll(fromPosition, maxCount, EventFilter.ALL);
    }

    /**
     * Up to {@code maxCount} events with global position {@code >= fromPosition} that pass {@code filter}, in the
     * global order. Events committed before the call started are included.
     *
     * @param fromPosition the global position to start at (positions start at 1)
     * @param maxCount the most events to return
     * @param filter which types and categories to keep
     * @return the matching events, in the global order
     */
    List<RecordedEvent> readAll(long fromPosition, int maxCount, EventFilter filter);

    /**
     * Like {@link #readAll(long, int, EventFilter)}, but only events with position {@code <= toPosition}, a head the
     * caller already knows is in the global order (from {@link #headPosition()} or a notification). Subscriptions that
     * track the head use it: a store that orders commits after they commit need not look for new ones, so a page at
     * the head costs one query.
     *
     * @param fromPosition the global position to start at
     * @param toPosition the last global position to return, a head already known to be in the order
     * @param maxCount the most events to return
     * @param filter which types and categories to keep
     * @return the matching events up to {@code toPosition}; empty when {@code toPosition < fromPosition}
     */
    default List<RecordedEvent> readAllUpTo(long fromPosition, long toPosition, int maxCount, EventFilter filter) {
        List<RecordedEvent> page = readAll(fromPosition, maxCount, filter);
        int end = 0;
        while (end < page.size() && page.get(end).position() <= toPosition) {
            end++;
        }
        return page.subList(0, end);
    }

    /** {@return the position of the last event in the global order; 0 when the store is empty} */
    long headPosition();

    /**
     * The global position of the last event of the append with this {@link AppendResult#commitId()}, once the store
     * has ordered it.
     *
     * @param commitId an append's {@link AppendResult#commitId()}
     * @return the position, or empty while the store has not ordered the append yet (ordering follows the commit by
     *     milliseconds)
     */
    Optional<Long> positionOf(long commitId);
}
