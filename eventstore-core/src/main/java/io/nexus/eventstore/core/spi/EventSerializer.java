package io.nexus.eventstore.core.spi;

/**
 * Turns event payloads into JSON text and back. Implementations must be thread-safe; the store calls them from any
 * thread. Failures are reported by throwing {@link io.nexus.eventstore.core.EventSerializationException}.
 */
public interface EventSerializer {
    /** The JSON text of {@code data}. */
    String serialize(String type, Object data);

    /** The payload {@code json} decoded as {@code targetClass}. */
    <T> T deserialize(String type, String json, Class<T> targetClass);
}
