package io.nexus.sagas.internal;

import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.sagas.Saga;
import io.nexus.sagas.SagaEvents;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * One saga instance as the fold of its stream: its state, its stream's version (the expected version of its next
 * append) and whether it ended. Lives for one batch or one deadline transaction, never longer: the stream is the only
 * truth.
 */
public final class Instance<S> {
    private final String id;
    private final StreamId stream;
    private S state;
    private long version;
    private boolean ended;
    private @Nullable UUID correlationId;

    public Instance(String id, StreamId stream, S initialState) {
        this.id = id;
        this.stream = stream;
        this.state = initialState;
    }

    public String id() {
        return id;
    }

    public StreamId stream() {
        return stream;
    }

    public S state() {
        return state;
    }

    /** The stream's version: 0 while the instance does not exist. */
    public long version() {
        return version;
    }

    public boolean exists() {
        return version > 0;
    }

    public boolean ended() {
        return ended;
    }

    /** The conversation the instance belongs to: its first event's correlation id. */
    public @Nullable UUID correlationId() {
        return correlationId;
    }

    /** Starts from a snapshot: the state folded up to {@code version}, in the conversation {@code correlationId}. */
    public void restore(S snapshotState, long snapshotVersion, @Nullable UUID correlationId) {
        this.state = snapshotState;
        this.version = snapshotVersion;
        this.correlationId = correlationId;
    }

    /** Folds one event of the instance's stream, read back or just appended. */
    public void replay(Saga<S> saga, RecordedEvent event) {
        if (version == 0) {
            correlationId = event.correlationId();
        }
        version = event.streamVersion();
        if (SagaEvents.ENDED.equals(event.type())) {
            ended = true;
        } else if (!SagaEvents.isBookkeeping(event.type())) {
            state = saga.evolve(state, event);
        }
    }
}
