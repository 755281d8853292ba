package io.nexus.eventstore.core;

import java.util.Optional;

/**
 * Keeps the latest snapshot per stream and snapshot type, in storage of its own (never in the event streams).
 * Implementations are thread-safe.
 *
 * <p>A save never moves a snapshot backwards: it replaces the stored one only if it has a higher schema version, or
 * the same schema version and a higher stream version. So writers racing to save snapshots of one stream keep the
 * newest, and code still running an older schema version (a rolling deployment) never overwrites a snapshot of the
 * newer one; it finds no snapshot of its own schema version and folds the stream from its start.
 */
public interface SnapshotStore {
    /**
     * The latest snapshot of {@code streamId} of type {@code snapshotType}, if it has {@code schemaVersion}.
     *
     * @param streamId the stream
     * @param snapshotType the kind of state
     * @param schemaVersion the state shape the caller understands; a stored snapshot of another one is ignored
     * @param stateClass the class the state is read as
     * @param <S> the state's class
     * @return the snapshot, or empty if there is none of that schema version
     * @throws EventSerializationException if the stored state cannot be read as {@code stateClass}
     * @throws EventStoreAccessException if the storage cannot be reached
     */
    <S> Optional<Snapshot<S>> load(StreamId streamId, String snapshotType, int schemaVersion, Class<S> stateClass);

    /**
     * Stores {@code snapshot} unless the stored one is as new or newer (see the class comment).
     *
     * @param snapshot the snapshot
     * @return whether it was stored; false if a newer one was kept
     * @throws EventSerializationException if the state cannot be serialized
     * @throws EventStoreAccessException if the storage cannot be reached
     */
    boolean save(Snapshot<?> snapshot);
}
