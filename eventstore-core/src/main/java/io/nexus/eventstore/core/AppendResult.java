package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

/**
 * What one append to one stream did.
 *
 * @param streamId the stream appended to
 * @param firstVersion the version of the first event of this append
 * @param nextExpectedVersion the stream's version after the append: pass it as {@link ExpectedVersion#exactly} to
 *     append again without a conflict
 * @param commitId the id of the append's transaction: a token that {@link EventStore#positionOf(long)} turns into
 *     the global position of the append's last event once the store has ordered it
 */
public record AppendResult(StreamId streamId, long firstVersion, long nextExpectedVersion, long commitId) {
    /**
     * Checks the result's components.
     *
     * @param streamId the stream appended to
     * @param firstVersion the version of the first event of this append
     * @param nextExpectedVersion the stream's version after the append: pass it as {@link ExpectedVersion#exactly} to
     *     append again without a conflict
     * @param commitId the id of the append's transaction: a token that {@link EventStore#positionOf(long)} turns into
     *     the global position of the append's last event once the store has ordered it
     * @throws IllegalArgumentException if {@code firstVersion} is below 1 or {@code nextExpectedVersion} below it
     */
    public AppendResult {
        requireNonNull(streamId, "streamId");
        if (firstVersion < 1 || nextExpectedVersion < firstVersion) {
            throw new IllegalArgumentException(
                    "versions out of range: first " + firstVersion + ", next expected " + nextExpectedVersion);
        }
    }

    /** {@return how many events the append wrote} */
    public int eventCount() {
        return (int) (nextExpectedVersion - firstVersion + 1);
    }
}
