package io.nexus.eventsourcing;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.StreamId;

/**
 * An aggregate as loaded: its state and the version of its stream it was folded up to.
 *
 * @param streamId its stream
 * @param state its state
 * @param version the version of the last event folded in; 0 when it has no events yet
 * @param eventsRead how many events the load read on top of the snapshot it started from (all of them without one)
 * @param <S> the state
 */
public record Aggregate<S>(StreamId streamId, S state, long version, long eventsRead) {
    /**
     * Checks the components.
     *
     * @param streamId its stream
     * @param state its state
     * @param version the version of the last event folded in, at least 0
     * @param eventsRead how many events the load read, at least 0
     */
    public Aggregate {
        requireNonNull(streamId, "streamId");
        requireNonNull(state, "state");
        if (version < 0 || eventsRead < 0) {
            throw new IllegalArgumentException(
                    "version and eventsRead must be >= 0, were " + version + " and " + eventsRead);
        }
    }

    /** {@return whether the aggregate has at least one event} */
    public boolean exists() {
        return version > 0;
    }
}
