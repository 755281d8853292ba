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

    /**
     * The payload given as UTF-8 bytes, decoded as {@code targetClass}. The store reads payloads this way, which spares
     * building a String per event; the default decodes the bytes to a String and calls the method above.
     */
    default <T> T deserialize(String type, byte[] utf8Json, Class<T> targetClass) {
        return deserialize(type, new String(utf8Json, java.nio.charset.StandardCharsets.UTF_8), targetClass);
    }
}
