package io.nexus.eventstore.core;

/** What a read does with an event whose type name has no class in the {@link EventTypeRegistry}. */
public enum UnknownTypePolicy {
    /**
     * Return the event with its payload as {@link RawJson}: the rest of the stream stays readable, and the event is
     * still handed to subscribers (handlers that match its type name or a wildcard). The default.
     */
    RAW_JSON,
    /** Throw {@link UnknownEventTypeException}, naming the type and where it was met: strict reading. */
    FAIL
}
