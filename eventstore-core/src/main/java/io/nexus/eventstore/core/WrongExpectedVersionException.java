package io.nexus.eventstore.core;

/** An append's expected version did not hold; nothing was written. */
public final class WrongExpectedVersionException extends EventStoreException {
    private final StreamId streamId;
    private final ExpectedVersion expectedVersion;
    private final long actualVersion;

    /**
     * Creates the exception; the message quotes all three values.
     *
     * @param streamId the stream appended to
     * @param expectedVersion what the caller believed
     * @param actualVersion the stream's version in the store (0 when it had no events)
     */
    public WrongExpectedVersionException(StreamId streamId, ExpectedVersion expectedVersion, long actualVersion) {
        super("stream '" + streamId + "': expected " + expectedVersion + ", but it is at version " + actualVersion);
        this.streamId = streamId;
        this.expectedVersion = expectedVersion;
        this.actualVersion = actualVersion;
    }

    /** {@return the stream appended to} */
    public StreamId streamId() {
        return streamId;
    }

    /** {@return what the caller believed about the stream} */
    public ExpectedVersion expectedVersion() {
        return expectedVersion;
    }

    /** {@return the stream's version when the append was refused (0 when it had no events)} */
    public long actualVersion() {
        return actualVersion;
    }
}
