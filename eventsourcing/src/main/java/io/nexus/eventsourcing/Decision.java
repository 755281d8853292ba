package io.nexus.eventsourcing;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.StreamId;
import java.util.List;

/**
 * What a command did: the events it appended and the aggregate after them.
 *
 * @param streamId the aggregate's stream
 * @param events the events appended, in order; empty when the command changed nothing
 * @param state the state after the events
 * @param version the stream's version after the append
 * @param attempts how many times the command was decided (more than 1 after version conflicts)
 * @param <E> the events
 * @param <S> the state
 */
public record Decision<E, S>(StreamId streamId, List<E> events, S state, long version, int attempts) {
    /**
     * Checks and copies the components.
     *
     * @param streamId the aggregate's stream
     * @param events the events appended
     * @param state the state after them
     * @param version the version after them
     * @param attempts how many times the command was decided, at least 1
     */
    public Decision {
        requireNonNull(streamId, "streamId");
        events = List.copyOf(events);
        requireNonNull(state, "state");
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be >= 1, was " + attempts);
        }
    }
}
