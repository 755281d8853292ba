package io.nexus.eventbus;

import io.nexus.eventstore.core.EventStoreException;
import java.time.Duration;

/** A projection did not reach a position within the time a caller was willing to wait. Nothing was changed. */
public final class ProjectionTimeoutException extends EventStoreException {
    private final String projection;
    private final long position;
    private final long checkpoint;
    private final Duration timeout;

    /**
     * {@code projection} was at {@code checkpoint}, below {@code position}, when {@code timeout} ran out.
     *
     * @param projection the projection waited on
     * @param position the position it was expected to reach
     * @param checkpoint its checkpoint when the wait ended
     * @param timeout how long the caller waited
     */
    public ProjectionTimeoutException(String projection, long position, long checkpoint, Duration timeout) {
        super("projection '" + projection + "' did not reach position " + position + " within " + timeout
                + "; its checkpoint is " + checkpoint);
        this.projection = projection;
        this.position = position;
        this.checkpoint = checkpoint;
        this.timeout = timeout;
    }

    /** {@return the projection waited on} */
    public String projection() {
        return projection;
    }

    /** {@return the position it was expected to reach} */
    public long position() {
        return position;
    }

    /** {@return its checkpoint when the wait ended} */
    public long checkpoint() {
        return checkpoint;
    }

    /** {@return how long the caller waited} */
    public Duration timeout() {
        return timeout;
    }
}
