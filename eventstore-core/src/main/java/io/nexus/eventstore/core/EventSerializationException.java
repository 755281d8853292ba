package io.nexus.eventstore.core;

/** A payload could not be turned into JSON, or stored JSON could not be turned back into its class. */
public final class EventSerializationException extends EventStoreException {
    private final String type;

    public EventSerializationException(String type, String message, Throwable cause) {
        super("event type '" + type + "': " + message, cause);
        this.type = type;
    }

    public EventSerializationException(String type, String message) {
        super("event type '" + type + "': " + message);
        this.type = type;
    }

    /** The type name of the event concerned. */
    public String type() {
        return type;
    }
}
