package io.nexus.sagas;

import static java.util.Objects.requireNonNull;

/**
 * Snapshots of long-lived saga instances: every {@code every} events of an instance's stream, the worker saves its
 * state in the {@code snapshots} table, in the same transaction as the step, and loading reads the latest snapshot of
 * {@code schemaVersion} and only the events after it. A snapshot is a cache: one of another schema version is
 * ignored and the stream is folded from its start.
 *
 * @param stateClass the saga's state class, serialized by the store's serializer
 * @param schemaVersion the version of the state's shape; raise it when the shape changes
 * @param every how many events between two snapshots, at least 1
 * @param <S> the saga's state
 */
public record SagaSnapshots<S>(Class<S> stateClass, int schemaVersion, int every) {
    /**
     * Checks the settings.
     *
     * @param stateClass the saga's state class
     * @param schemaVersion the version of the state's shape, at least 0
     * @param every how many events between two snapshots, at least 1
     * @throws IllegalArgumentException if a number is out of range
     */
    public SagaSnapshots {
        requireNonNull(stateClass, "stateClass");
        if (schemaVersion < 0) {
            throw new IllegalArgumentException("schemaVersion must be >= 0, was " + schemaVersion);
        }
        if (every < 1) {
            throw new IllegalArgumentException("every must be >= 1, was " + every);
        }
    }
}
