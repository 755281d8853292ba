package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * State folded from a stream up to a version, kept so that loading need not read the stream from its start. A
 * snapshot is a cache: deleting it loses nothing, the state is rebuilt from the events.
 *
 * @param streamId the stream whose events were folded
 * @param snapshotType what kind of state this is (an aggregate or saga type, such as {@code bank-account}); one
 *     stream may have one snapshot per type
 * @param streamVersion the version of the stream's last event folded into {@code state}, at least 1
 * @param schemaVersion the version of the state's shape; a reader that expects another one ignores the snapshot
 * @param state the folded state
 * @param takenAt when it was taken
 * @param <S> the state's class
 */
public record Snapshot<S>(
        StreamId streamId, String snapshotType, long streamVersion, int schemaVersion, S state, Instant takenAt) {
    /** The longest snapshot type name accepted, in characters. */
    public static final int MAX_TYPE_LENGTH = 200;

    /**
     * Checks the snapshot.
     *
     * @param streamId the stream whose events were folded
     * @param snapshotType what kind of state this is; not blank, at most {@value #MAX_TYPE_LENGTH} characters
     * @param streamVersion the version of the last event folded in, at least 1
     * @param schemaVersion the version of the state's shape, at least 0
     * @param state the folded state
     * @param takenAt when it was taken
     * @throws IllegalArgumentException naming the value that breaks a rule
     */
    public Snapshot {
        requireNonNull(streamId, "streamId");
        checkType(snapshotType);
        requireNonNull(state, "state");
        requireNonNull(takenAt, "takenAt");
        if (streamVersion < 1) {
            throw new IllegalArgumentException("a snapshot's streamVersion must be >= 1, was " + streamVersion);
        }
        if (schemaVersion < 0) {
            throw new IllegalArgumentException("a snapshot's schemaVersion must be >= 0, was " + schemaVersion);
        }
    }

    /**
     * Checks a snapshot type name: not blank, at most {@value #MAX_TYPE_LENGTH} characters.
     *
     * @param snapshotType the name to check
     * @return the name
     * @throws IllegalArgumentException naming the rule it breaks
     */
    public static String checkType(String snapshotType) {
        requireNonNull(snapshotType, "snapshotType");
        if (snapshotType.isBlank() || snapshotType.length() > MAX_TYPE_LENGTH) {
            throw new IllegalArgumentException("a snapshot type must be 1 to " + MAX_TYPE_LENGTH
                    + " characters and not blank, was '" + snapshotType + "'");
        }
        return snapshotType;
    }
}
