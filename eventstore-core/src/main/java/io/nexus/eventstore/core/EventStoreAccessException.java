package io.nexus.eventstore.core;

/** The store could not be reached or failed while working (connection refused, timeout, I/O); wraps the cause. */
public final class EventStoreAccessException extends EventStoreException {
    public EventStoreAccessException(String message, Throwable cause) {
        super(message + ": " + cause.getMessage(), cause);
    }
}
