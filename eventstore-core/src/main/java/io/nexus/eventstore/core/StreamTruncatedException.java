package io.nexus.eventstore.core;

/**
 * A forward read of a stream asked for versions that retention removed: the stream's history now starts at {@link
 * #firstVersion()}. Read again from there (typically after loading a snapshot) to accept the shorter history.
 */
public final class StreamTruncatedException extends EventStoreException {
    private final StreamId streamId;
    private final long requestedVersion;
    private final long firstVersion;

    /**
     * Creates the exception; the message quotes the stream and both versions.
     *
     * @param streamId the stream read
     * @param requestedVersion the version the read asked to start at
     * @param firstVersion the oldest version the stream still holds (its version + 1 when every event was removed)
     */
    public StreamTruncatedException(StreamId streamId, long requestedVersion, long firstVersion) {
        super("stream '" + streamId + "': read from version " + requestedVersion + ", but retention removed its"
                + " history before version " + firstVersion + "; read from " + firstVersion + " to accept that");
        this.streamId = streamId;
        this.requestedVersion = requestedVersion;
        this.firstVersion = firstVersion;
    }

    /** {@return the stream read} */
    public StreamId streamId() {
        return streamId;
    }

    /** {@return the version the read asked to start at} */
    public long requestedVersion() {
        return requestedVersion;
    }

    /** {@return the oldest version the stream still holds: where its history now starts} */
    public long firstVersion() {
        return firstVersion;
    }
}
