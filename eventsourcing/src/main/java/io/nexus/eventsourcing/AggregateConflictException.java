package io.nexus.eventsourcing;

import io.nexus.eventstore.core.EventStoreException;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.WrongExpectedVersionException;

/**
 * A command lost to concurrent writers on every attempt the repository was allowed: each time it had decided, another
 * append had moved the aggregate's stream on. Nothing of this command was appended. The cause is the last conflict.
 */
public final class AggregateConflictException extends EventStoreException {
    private final StreamId streamId;
    private final int attempts;

    /**
     * Creates the exception.
     *
     * @param streamId the aggregate's stream
     * @param attempts how many times the command was decided
     * @param lastConflict the conflict of the last attempt
     */
    public AggregateConflictException(StreamId streamId, int attempts, WrongExpectedVersionException lastConflict) {
        super(
                "aggregate '" + streamId + "': the command conflicted with concurrent appends on all " + attempts
                        + " attempt(s); the last: " + lastConflict.getMessage()
                        + (attempts == 1 ? "; allow retries with AggregateRepository.Builder.maxAttempts" : ""),
                lastConflict);
        this.streamId = streamId;
        this.attempts = attempts;
    }

    /** {@return the aggregate's stream} */
    public StreamId streamId() {
        return streamId;
    }

    /** {@return how many times the command was decided before giving up} */
    public int attempts() {
        return attempts;
    }
}
