package io.nexus.eventstore.core;

/** A stored event's type name is not in the {@link EventTypeRegistry}, so its payload has no class to decode to. */
public final class UnknownEventTypeException extends EventStoreException {
    private final String type;

    /**
     * Creates the exception; the message says how to fix it.
     *
     * @param type the unknown type name
     * @param where where the event was met, such as its stream and version
     */
    public UnknownEventTypeException(String type, String where) {
        super("unknown event type '" + type + "' " + where
                + ": register its class in the EventTypeRegistry, or read with unknown types as RawJson");
        this.type = type;
    }

    /** {@return the unknown type name} */
    public String type() {
        return type;
    }
}
