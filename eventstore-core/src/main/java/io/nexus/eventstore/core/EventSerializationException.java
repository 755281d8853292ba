package io.nexus.eventstore.core;

/** A payload could not be turned into JSON, or stored JSON could not be turned back into its class. */
public final class EventSerializationException extends EventStoreException {
    private final String type;

    /**
     * Creates the exception for events of {@code type}, keeping the serializer's failure.
     *
     * @param type the type name of the event concerned
     * @param message what went wrong
     * @param cause the serializer's failure
     */
    public EventSerializationException(String type, String message, Throwable cause) {
        super("event type '" + type + "': " + message, cause);
        this.type = type;
    }

    /**
     * Creates the exception for events of {@code type}.
     *
     * @param type the type name of the event concerned
     * @param message what went wrong
     */
    public EventSerializationException(String type, String message) {
        super("event type '" + type + "': " + message);
        this.type = type;
    }

    /** {@return the type name of the event concerned} */
    public String type() {
        return type;
    }
}
