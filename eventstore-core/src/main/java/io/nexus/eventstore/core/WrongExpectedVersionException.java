package io.nexus.eventstore.core;

/** An append's expected version did not hold; nothing was written. */
public final class WrongExpectedVersionException extends EventStoreException {
    private final StreamId streamId;
    private final ExpectedVersion expectedVersion;
    private final long actualVersion;

    public WrongExpectedVersionException(StreamId streamId, ExpectedVersion expectedVersion, long actualVersion) {
        super("stream '" + streamId + "': expected " + expectedVersion + ", but it is at version " + actualVersion);
        this.streamId = streamId;
        this.expectedVersion = expectedVersion;
        this.actualVersion = actualVersion;
    }

    public StreamId streamId() {
        return streamId;
    }

    public ExpectedVersion expectedVersion() {
        return expectedVersion;
    }

    /** The stream's version when the append was refused (0 when it had no events). */
    public long actualVersion() {
        return actualVersion;
    }
}
