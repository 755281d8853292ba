package io.nexus.eventstore.core;

import java.util.UUID;

/**
 * An append carried an event id the store already holds, and it was not an exact re-send of an earlier append (same
 * stream, same expected version, same content). Nothing was written.
 */
public final class DuplicateEventException extends EventStoreException {
    private final UUID eventId;

    /**
     * Creates the exception for {@code eventId}.
     *
     * @param eventId the first offending event id
     * @param reason why the append is not a re-send, quoted in the message
     */
    public DuplicateEventException(UUID eventId, String reason) {
        super("event id " + eventId + " is already in the store: " + reason);
        this.eventId = eventId;
    }

    /** {@return the first offending event id} */
    public UUID eventId() {
        return eventId;
    }
}
