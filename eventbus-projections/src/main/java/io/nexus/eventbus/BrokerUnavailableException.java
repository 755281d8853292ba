package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

/**
 * A broker (Redis, RabbitMQ) could not be reached or refused an operation; the message names the broker and the
 * operation, never a password, and the cause is kept. For an {@code emit}, nothing was emitted.
 */
public final class BrokerUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what could not be done, and on which broker
     * @param cause the client library's failure
     */
    public BrokerUnavailableException(String message, Throwable cause) {
        super(requireNonNull(message, "message"), requireNonNull(cause, "cause"));
    }
}
