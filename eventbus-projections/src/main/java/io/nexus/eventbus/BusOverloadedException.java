package io.nexus.eventbus;

import io.nexus.eventstore.core.EventStoreException;
import java.time.Duration;

/**
 * An event was not emitted because the bus's queue stayed full for the whole emit timeout (or the wait for space was
 * interrupted, in which case the cause is the {@link InterruptedException} and the thread's interrupt flag is set).
 * Nothing was queued: the caller decides whether to retry, shed load or fail. The bus never drops events silently.
 */
public final class BusOverloadedException extends EventStoreException {
    private final String eventType;
    private final int maxQueueSize;
    private final Duration emitTimeout;

    /**
     * An overload for an event of {@code eventType}, after waiting {@code emitTimeout} on a full queue.
     *
     * @param eventType the type of the event that was not emitted
     * @param maxQueueSize the capacity of the queue that was full
     * @param emitTimeout how long the emit waited for space
     */
    public BusOverloadedException(String eventType, int maxQueueSize, Duration emitTimeout) {
        super(message(eventType, maxQueueSize, emitTimeout));
        this.eventType = eventType;
        this.maxQueueSize = maxQueueSize;
        this.emitTimeout = emitTimeout;
    }

    /**
     * An overload whose wait for space ended with {@code cause}.
     *
     * @param eventType the type of the event that was not emitted
     * @param maxQueueSize the capacity of the queue that was full
     * @param emitTimeout how long the emit waited for space
     * @param cause what ended the wait, such as an interrupt
     */
    public BusOverloadedException(String eventType, int maxQueueSize, Duration emitTimeout, Throwable cause) {
        super(message(eventType, maxQueueSize, emitTimeout) + " (interrupted)", cause);
        this.eventType = eventType;
        this.maxQueueSize = maxQueueSize;
        this.emitTimeout = emitTimeout;
    }

    private static String message(String eventType, int maxQueueSize, Duration emitTimeout) {
        return "event bus queue is full (" + maxQueueSize + " events) and stayed full for " + emitTimeout
                + "; the event of type '" + eventType + "' was not emitted";
    }

    /** {@return the type of the event that was not emitted} */
    public String eventType() {
        return eventType;
    }

    /** {@return the capacity of the queue that was full} */
    public int maxQueueSize() {
        return maxQueueSize;
    }

    /** {@return how long the emit waited for space} */
    public Duration emitTimeout() {
        return emitTimeout;
    }
}
