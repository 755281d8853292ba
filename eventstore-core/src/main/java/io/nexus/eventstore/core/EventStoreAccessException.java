package io.nexus.eventstore.core;

/** The store could not be reached or failed while working (connection refused, timeout, I/O); wraps the cause. */
public final class EventStoreAccessException extends EventStoreException {
    /**
     * Creates the exception; the message ends with the cause's message.
     *
     * @param message what the store was doing
     * @param cause the driver's or pool's failure
     */
    public EventStoreAccessException(String message, Throwable cause) {
        super(message + ": " + cause.getMessage(), cause);
    }
}
