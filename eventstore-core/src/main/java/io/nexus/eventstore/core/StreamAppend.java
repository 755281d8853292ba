package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One stream's part of an atomic multi-stream append ({@link EventStore#appendAll(List)}).
 *
 * @param streamId the stream to append to
 * @param expectedVersion what the caller believes about the stream
 * @param events the events, at least one, none null
 */
public record StreamAppend(StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events) {
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

    public static StreamAppend of(StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events) {
        return new StreamAppend(streamId, expectedVersion, events);
    }
}
