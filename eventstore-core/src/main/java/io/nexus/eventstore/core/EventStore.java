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
 * <p>Reads come two ways: bounded pages ({@link #readStream}, {@link #readStreamBackward}, {@link #readAll}), and
 * lazily paged iterations of any length ({@link #streamEvents}, {@link #streamEventsBackward}, {@link #allEvents}) that
 * read one page at a time, each page its own read, so no connection is held between pages and memory stays bounded.
 *
 * <p>Pages count stored events. An {@link Upcaster} that splits a stored event into several returns all its parts
 * together, with the stored event's version and position, so a page may hold more events than its {@code maxCount},
 * never more positions: tell a full page of the global order with {@link #positionsIn}.
 *
 * <p>Appending is {@link EventAppender}'s part: {@link #append} and {@link #appendAll}, each in a transaction of its
 * own. Every method throws {@link EventStoreAccessException} when the store cannot be reached; bad arguments throw
 * {@link IllegalArgumentException} or {@link NullPointerException} before anything is written.
 */
public interface EventStore extends EventAppender {
    /** The page size of the lazily paged reads when the caller gives none: {@value}. */
    int DEFAULT_PAGE_SIZE = 1_000;

    /**
     * How many global positions {@code page}, a page of the global order, holds: its events, less the further parts of
     * events an upcaster split (they share the stored event's position). A page of {@link #readAll} or {@link
     * #readAllUpTo} holding fewer than {@code maxCount} positions holds every matching event up to where it was asked
     * to end (the head, or {@code toPosition}); its number of events cannot say that.
     *
     * @param page events in the global order
     * @return the number of distinct positions in {@code page}
     */
    static int positionsIn(List<RecordedEvent> page) {
        int positions = 0;
        long previous = -1;
        for (RecordedEvent event : page) {
            if (event.position() != previous) {
                positions++;
                previous = event.position();
            }
        }
        return positions;
    }

    /**
     * Deletes a stream softly, if {@code expectedVersion} holds: writes a tombstone. From then on reads of the stream
     * ({@link #readStream}, {@link #readStreamBackward}, {@link #streamVersion} and the iterations over them) and
     * appends to it throw {@link StreamDeletedException}, so its name cannot be reused by accident. Its events stay in
     * the global order ({@link #readAll}) until the retention path removes them. A stream that never existed can be
     * deleted too (expected version {@link ExpectedVersion#any()}, {@link ExpectedVersion#noStream()} or exactly 0):
     * its name is then reserved.
     *
     * @param streamId the stream to delete
     * @param expectedVersion where the caller believes the stream is
     * @throws WrongExpectedVersionException if the stream is not where the caller expected; nothing is written
     * @throws StreamDeletedException if the stream is deleted already
     */
    void deleteStream(StreamId streamId, ExpectedVersion expectedVersion);

    /**
     * Reads a stream forward.
     *
     * @param streamId the stream to read
     * @param fromVersion the version of the first event to return (versions start at 1)
     * @param maxCount the most events to return
     * @return up to {@code maxCount} events of the stream with version {@code >= fromVersion}, oldest first; empty
     *     when the stream does not exist
     * @throws StreamDeletedException if the stream was deleted
     * @throws StreamTruncatedException if retention removed the stream's events at {@code fromVersion}: the exception
     *     tells where the stream's history now starts
     */
    List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int maxCount);

    /**
     * Reads a stream backward, newest first.
     *
     * @param streamId the stream to read
     * @param fromVersion the version of the first event to return; {@link Long#MAX_VALUE} starts at the end
     * @param maxCount the most events to return
     * @return up to {@code maxCount} events of the stream with version {@code <= fromVersion}, newest first
     * @throws StreamDeletedException if the stream was deleted
     */
    List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int maxCount);

    /**
     * Iterates a stream forward from {@code fromVersion} to its end, however long it is, reading {@link
     * #DEFAULT_PAGE_SIZE} events at a time.
     *
     * @param streamId the stream to read
     * @param fromVersion the version of the first event to return (versions start at 1)
     * @return the stream's events with version {@code >= fromVersion}, oldest first, as {@link #streamEvents(StreamId,
     *     long, int)} describes
     * @throws IllegalArgumentException if {@code fromVersion} is negative
     */
    default Iterable<RecordedEvent> streamEvents(StreamId streamId, long fromVersion) {
        return streamEvents(streamId, fromVersion, DEFAULT_PAGE_SIZE);
    }

    /**
     * Iterates a stream forward from {@code fromVersion} to its end, however long it is, one page of {@link
     * #readStream} at a time: {@code for (RecordedEvent event : store.streamEvents(id, 1)) { ... }}.
     *
     * <p>Each iterator reads its first page on its first {@code hasNext()} or {@code next()}, and the next page when it
     * has handed out the last event of a page; it holds one page, and no connection, between reads. It ends at the
     * first page shorter than {@code pageSize}, so events appended while it runs are returned if they are appended
     * before it reads that last page, and never otherwise. The stream's events come back once each, oldest first,
     * with versions that have no holes. A missing stream iterates nothing.
     *
     * <p>The iterable may be iterated any number of times, each time from {@code fromVersion}; an iterator is for one
     * thread. {@code hasNext()} and {@code next()} throw what {@link #readStream} throws (such as {@link
     * EventStoreAccessException}); after such a failure, calling {@code hasNext()} again retries the same page.
     *
     * @param streamId the stream to read
     * @param fromVersion the version of the first event to return (versions start at 1)
     * @param pageSize the most events each read fetches and the iterator holds
     * @return the stream's events with version {@code >= fromVersion}, oldest first
     * @throws IllegalArgumentException if {@code fromVersion} is negative or {@code pageSize} is below 1; checked at
     *     this call, before anything is read
     */
    default Iterable<RecordedEvent> streamEvents(StreamId streamId, long fromVersion, int pageSize) {
        return PagedEvents.forward(this, streamId, fromVersion, pageSize);
    }

    /**
     * Iterates a stream backward from {@code fromVersion} to its first event, reading {@link #DEFAULT_PAGE_SIZE} events
     * at a time.
     *
     * @param streamId the stream to read
     * @param fromVersion the version of the first event to return; {@link Long#MAX_VALUE} starts at the end
     * @return the stream's events with version {@code <= fromVersion}, newest first, as {@link
     *     #streamEventsBackward(StreamId, long, int)} describes
     * @throws IllegalArgumentException if {@code fromVersion} is negative
     */
    default Iterable<RecordedEvent> streamEventsBackward(StreamId streamId, long fromVersion) {
        return streamEventsBackward(streamId, fromVersion, DEFAULT_PAGE_SIZE);
    }

    /**
     * Iterates a stream backward from {@code fromVersion} to its first event, one page of {@link #readStreamBackward}
     * at a time, holding one page and no connection between reads.
     *
     * <p>The first page fixes where the iteration starts, so events appended while it runs never appear. Iterating,
     * repeating and failures work as for {@link #streamEvents(StreamId, long, int)}.
     *
     * @param streamId the stream to read
     * @param fromVersion the version of the first event to return; {@link Long#MAX_VALUE} starts at the end
     * @param pageSize the most events each read fetches and the iterator holds
     * @return the stream's events with version {@code <= fromVersion}, newest first
     * @throws IllegalArgumentException if {@code fromVersion} is negative or {@code pageSize} is below 1; checked at
     *     this call, before anything is read
     */
    default Iterable<RecordedEvent> streamEventsBackward(StreamId streamId, long fromVersion, int pageSize) {
        return PagedEvents.backward(this, streamId, fromVersion, pageSize);
    }

    /**
     * Tells how far a stream has come.
     *
     * @param streamId the stream
     * @return the stream's version (its number of events); 0 when it does not exist
     * @throws StreamDeletedException if the stream was deleted
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

    /**
     * Iterates the global order from {@code fromPosition} up to its head, reading {@link #DEFAULT_PAGE_SIZE} events at
     * a time.
     *
     * @param fromPosition the global position to start at (positions start at 1)
     * @param filter which types and categories to keep
     * @return the matching events, in the global order, as {@link #allEvents(long, EventFilter, int)} describes
     * @throws IllegalArgumentException if {@code fromPosition} is negative
     */
    default Iterable<RecordedEvent> allEvents(long fromPosition, EventFilter filter) {
        return allEvents(fromPosition, filter, DEFAULT_PAGE_SIZE);
    }

    /**
     * Iterates the global order from {@code fromPosition} up to the head it finds when it starts, one page of {@link
     * #readAllUpTo} at a time, holding one page and no connection between reads.
     *
     * <p>Each iterator reads {@link #headPosition()} with its first page and stops there: it returns every matching
     * event committed before it started, once each and in the global order, and none that is ordered after that head,
     * so it ends even while writers keep appending. It does not wait for new events; a caller that wants to follow
     * the order continues from the last position it saw (or subscribes). Iterating again starts again, with a new
     * head. Iterating, repeating and failures work as for {@link #streamEvents(StreamId, long, int)}.
     *
     * @param fromPosition the global position to start at (positions start at 1)
     * @param filter which types and categories to keep
     * @param pageSize the most events each read fetches and the iterator holds
     * @return the matching events with position {@code >= fromPosition} up to the head at the start, in the global
     *     order
     * @throws IllegalArgumentException if {@code fromPosition} is negative or {@code pageSize} is below 1; checked at
     *     this call, before anything is read
     */
    default Iterable<RecordedEvent> allEvents(long fromPosition, EventFilter filter, int pageSize) {
        return PagedEvents.global(this, fromPosition, filter, pageSize);
    }

    /** {@return the position of the last event in the global order; 0 when the store is empty} */
    long headPosition();

    /**
     * The last position the global order has given, as the store holds it now, without ordering anything new (which
     * {@link #headPosition()} may do). A subscriber that learned a head from a notification reads it before a page and
     * trusts the head only up to it: a store may take back positions it announced, as a database crash does with a
     * sequencing run whose commit was not yet flushed, and the events get positions again after the restart.
     *
     * @return the last position given; 0 when none was
     */
    default long orderedHeadPosition() {
        return headPosition();
    }

    /**
     * The global position of the last event of the append with this {@link AppendResult#commitId()}, once the store
     * has ordered it.
     *
     * @param commitId an append's {@link AppendResult#commitId()}
     * @return the position, or empty while the store has not ordered the append yet (ordering follows the commit by
     *     milliseconds)
     */
    Optional<Long> positionOf(long commitId);

    /**
     * Counts the positions from {@code fromPosition} to {@code toPosition} (both included, both at most the head) whose
     * event retention removed. Positions among committed events have no holes, so a subscriber whose next position
     * is gone learns it here, whatever filter it reads with. A store without retention removes nothing.
     *
     * @param fromPosition the first position to look at
     * @param toPosition the last position to look at, at most {@link #headPosition()}
     * @return how many of those positions no longer hold an event; 0 when {@code toPosition < fromPosition}
     */
    default long removedEvents(long fromPosition, long toPosition) {
        return 0;
    }
}
