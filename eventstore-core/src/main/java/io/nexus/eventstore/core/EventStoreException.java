package io.nexus.eventstore.core;

/** The root of every exception the event store throws; all are unchecked and keep their cause. */
public abstract class EventStoreException extends RuntimeException {
    /**
     * Creates the exception with a message that quotes the values concerned.
     *
     * @param message what went wrong
     */
    protected EventStoreException(String message) {
        super(message);
    }

    /**
     * Creates the exception, keeping its cause.
     *
     * @param message what went wrong
     * @param cause the underlying failure
     */
    protected EventStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
