package io.nexus.eventstore.core;

import java.time.Instant;

/**
 * The stream was deleted ({@link EventStore#deleteStream}): its events cannot be read through it any more and its name
 * cannot be appended to again. Nothing was read or written.
 */
public final class StreamDeletedException extends EventStoreException {
    private final StreamId streamId;
    private final long deletedVersion;
    private final Instant deletedAt;

    /**
     * Creates the exception; the message quotes all three values.
     *
     * @param streamId the deleted stream
     * @param deletedVersion the stream's version when it was deleted (0 when it had no events)
     * @param deletedAt when it was deleted, by the store's clock
     */
    public StreamDeletedException(StreamId streamId, long deletedVersion, Instant deletedAt) {
        super("stream '" + streamId + "' was deleted at version " + deletedVersion + " on " + deletedAt);
        this.streamId = streamId;
        this.deletedVersion = deletedVersion;
        this.deletedAt = deletedAt;
    }

    /** {@return the deleted stream} */
    public StreamId streamId() {
        return streamId;
    }

    /** {@return the stream's version when it was deleted (0 when it had no events)} */
    public long deletedVersion() {
        return deletedVersion;
    }

    /** {@return when the stream was deleted, by the store's clock} */
    public Instant deletedAt() {
        return deletedAt;
    }
}
