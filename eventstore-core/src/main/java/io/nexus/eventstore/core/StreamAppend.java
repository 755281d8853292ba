package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One stream's part of an atomic multi-stream append ({@link EventStore#appendAll(List)}).
 *
 * @param streamId the stream to append to
 * @param expectedVersion what the caller believes about the stream
 * @param events the events, at least one, none null
 */
public record StreamAppend(StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events) {
    /**
     * Checks the append and copies its events.
     *
     * @param streamId the stream to append to
     * @param expectedVersion what the caller believes about the stream
     * @param events the events, at least one, none null
     * @throws IllegalArgumentException if there are no events
     * @throws NullPointerException naming the position of a null event
     */
    public StreamAppend {
        requireNonNull(streamId, "streamId");
        requireNonNull(expectedVersion, "expectedVersion");
        requireNonNull(events, "events");
        if (events.isEmpty()) {
            throw new IllegalArgumentException("stream '" + streamId + "': an append needs at least one event");
        }
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i) == null) {
                throw new NullPointerException("stream '" + streamId + "': event " + i + " of the batch is null");
            }
        }
        events = List.copyOf(events);
    }

    /**
     * Makes one stream's part of a multi-stream append.
     *
     * @param streamId the stream to append to
     * @param expectedVersion what the caller believes about the stream
     * @param events the events, at least one, none null
     * @return the append
     */
    public static StreamAppend of(StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events) {
        return new StreamAppend(streamId, expectedVersion, events);
    }

    /**
     * Checks the argument of {@link EventStore#appendAll(List)}: at least one append, none null, each stream once.
     *
     * @param appends the appends to check
     * @throws IllegalArgumentException naming the repeated stream, or when the list is empty
     */
    public static void checkBatch(List<StreamAppend> appends) {
        requireNonNull(appends, "appends");
        if (appends.isEmpty()) {
            throw new IllegalArgumentException("appendAll needs at least one stream append");
        }
        Set<StreamId> streams = new HashSet<>();
        for (StreamAppend append : appends) {
            requireNonNull(append, "stream append");
            if (!streams.add(append.streamId())) {
                throw new IllegalArgumentException(
                        "stream '" + append.streamId() + "' appears twice in one appendAll; merge its events");
            }
        }
    }
}
