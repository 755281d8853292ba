package io.nexus.eventbus.relay;

import io.nexus.eventbus.EventListener;
import io.nexus.eventstore.core.RecordedEvent;

/**
 * Writes each event it is handed to a broker, and returns only once the broker has it, so that a failure makes the
 * feeding subscription retry the event. It holds connections until closed.
 */
public interface RelayPublisher extends EventListener, AutoCloseable {
    /**
     * Writes {@code event} to the broker.
     *
     * @throws RuntimeException if the broker cannot be reached or refuses the event; the subscription retries it
     */
    @Override
    void handle(RecordedEvent event);

    /** Releases the publisher's connections. Idempotent. */
    @Override
    void close();
}
