package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

/**
 * The argument checks every {@link EventStore} applies to its reads, so that each store refuses the same input with
 * the same message before touching its data (the appends' twin is {@link StreamAppend#checkBatch}).
 */
public final class ReadArguments {
    private ReadArguments() {}

    /**
     * Checks a stream read: a stream, a start version {@code >= 0}, a count {@code >= 1}.
     *
     * @param streamId the stream, not null
     * @param fromVersion the version to start at
     * @param maxCount the most events to return
     * @throws IllegalArgumentException if the start or the count is out of range
     */
    public static void checkStreamRead(StreamId streamId, long fromVersion, int maxCount) {
        requireNonNull(streamId, "streamId");
        checkPage(fromVersion, maxCount);
    }

    /**
     * Checks a page of the global order or of a stream: a start {@code >= 0} and a count {@code >= 1}.
     *
     * @param from the position or version to start at
     * @param maxCount the most events to return
     * @throws IllegalArgumentException if the start or the count is out of range
     */
    public static void checkPage(long from, int maxCount) {
        if (from < 0) {
            throw new IllegalArgumentException("read start must be >= 0, was " + from);
        }
        if (maxCount < 1) {
            throw new IllegalArgumentException("maxCount must be >= 1, was " + maxCount);
        }
    }
}
