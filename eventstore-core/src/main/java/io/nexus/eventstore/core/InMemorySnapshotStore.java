package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link SnapshotStore} kept in memory, with the PostgreSQL one's rules; states are kept as given, not serialized.
 * For unit tests and fixtures; nothing survives the process. Thread-safe.
 */
public final class InMemorySnapshotStore implements SnapshotStore {
    private final Map<Key, Snapshot<?>> snapshots = new ConcurrentHashMap<>();

    private record Key(StreamId streamId, String snapshotType) {}

    private InMemorySnapshotStore() {}

    /** {@return an empty snapshot store} */
    public static InMemorySnapshotStore create() {
        return new InMemorySnapshotStore();
    }

    @Override
    public <S> Optional<Snapshot<S>> load(
            StreamId streamId, String snapshotType, int schemaVersion, Class<S> stateClass) {
        requireNonNull(streamId, "streamId");
        requireNonNull(stateClass, "stateClass");
        Snapshot<?> stored = snapshots.get(new Key(streamId, Snapshot.checkType(snapshotType)));
        if (stored == null || stored.schemaVersion() != schemaVersion) {
            return Optional.empty();
        }
        if (!stateClass.isInstance(stored.state())) {
            throw new EventSerializationException(
                    snapshotType,
                    "the snapshot of stream '" + streamId + "' holds a "
                            + stored.state().getClass().getName() + ", not a " + stateClass.getName());
        }
        return Optional.of(new Snapshot<>(
                stored.streamId(),
                stored.snapshotType(),
                stored.streamVersion(),
                stored.schemaVersion(),
                stateClass.cast(stored.state()),
                stored.takenAt()));
    }

    @Override
    public boolean save(Snapshot<?> snapshot) {
        requireNonNull(snapshot, "snapshot");
        boolean[] stored = {false};
        snapshots.compute(new Key(snapshot.streamId(), snapshot.snapshotType()), (key, old) -> {
            if (old == null || replaces(snapshot, old)) {
                stored[0] = true;
                return snapshot;
            }
            return old;
        });
        return stored[0];
    }

    /** The rule of {@link SnapshotStore}: a higher schema version, or the same one at a later stream version. */
    private static boolean replaces(Snapshot<?> candidate, Snapshot<?> stored) {
        return candidate.schemaVersion() > stored.schemaVersion()
                || (candidate.schemaVersion() == stored.schemaVersion()
                        && candidate.streamVersion() > stored.streamVersion());
    }
}
