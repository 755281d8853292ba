package io.nexus.eventstore.core.spi;

/**
 * Turns event payloads into JSON text and back. Implementations must be thread-safe; the store calls them from any
 * thread. Failures are reported by throwing {@link io.nexus.eventstore.core.EventSerializationException}.
 */
public interface EventSerializer {
    /**
     * Serializes a payload.
     *
     * @param type the event's type name, for error messages
     * @param data the payload
     * @return the JSON text of {@code data}
     * @throws io.nexus.eventstore.core.EventSerializationException if it cannot be serialized
     */
    String serialize(String type, Object data);

    /**
     * Deserializes a payload.
     *
     * @param <T> the payload's class
     * @param type the event's type name, for error messages
     * @param json the stored JSON text
     * @param targetClass the class registered for {@code type}
     * @return the payload {@code json} decoded as {@code targetClass}
     * @throws io.nexus.eventstore.core.EventSerializationException if it cannot be decoded
     */
    <T> T deserialize(String type, String json, Class<T> targetClass);

    /**
     * The payload given as UTF-8 bytes, decoded as {@code targetClass}. The store reads payloads this way, which spares
     * building a String per event; the default decodes the bytes to a String and calls the method above.
     *
     * @param <T> the payload's class
     * @param type the event's type name, for error messages
     * @param utf8Json the stored JSON text as UTF-8 bytes
     * @param targetClass the class registered for {@code type}
     * @return the decoded payload
     * @throws io.nexus.eventstore.core.EventSerializationException if it cannot be decoded
     */
    default <T> T deserialize(String type, byte[] utf8Json, Class<T> targetClass) {
        return deserialize(type, new String(utf8Json, java.nio.charset.StandardCharsets.UTF_8), targetClass);
    }
}
