package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * An event about to be appended: its envelope (event id, type name, metadata, correlation id, causation id, source)
 * and its payload. The store stamps the recorded-at time, the stream version and the global position.
 *
 * <p>The event id makes appends idempotent: re-sending the same ids with the same expected version returns the
 * original result and writes nothing. Instances are immutable; the {@code with*} methods return copies.
 *
 * @param eventId unique id of the event; a random UUID unless given
 * @param type the type name, such as {@code order.created}
 * @param data the payload: a record or POJO the serializer handles, or {@link RawJson}
 * @param metadata the metadata entries whose values are strings, empty when none
 * @param correlationId the id shared by every event of one conversation, if known
 * @param causationId the id of the event (or command) that caused this one, if known
 * @param source the service or component that produced the event, if known
 * @param metadataValues every metadata entry, its value any JSON value in plain Java ({@code String}, {@code
 *     Boolean}, a number, a {@code List} or a {@code Map} with string keys of those); the string entries are also in
 *     {@code metadata}
 */
public record NewEvent(
        UUID eventId,
        String type,
        Object data,
        Map<String, String> metadata,
        @Nullable UUID correlationId,
        @Nullable UUID causationId,
        @Nullable String source,
        Map<String, Object> metadataValues) {

    /**
     * Checks the event and copies its metadata: the entries of {@code metadata} and {@code metadataValues} together
     * are its metadata, so {@code metadata()} then holds every string entry and {@code metadataValues()} every entry.
     *
     * @param eventId unique id of the event; a random UUID unless given
     * @param type the type name, such as {@code order.created}
     * @param data the payload: a record or POJO the serializer handles, or {@link RawJson}
     * @param metadata metadata entries whose values are strings, empty when none
     * @param correlationId the id shared by every event of one conversation, if known
     * @param causationId the id of the event (or command) that caused this one, if known
     * @param source the service or component that produced the event, if known
     * @param metadataValues metadata entries with any JSON value, empty when none
     * @throws IllegalArgumentException if {@code type} is not a valid type name, a metadata value is not a JSON value,
     *     or a key is given in both maps with different values
     */
    public NewEvent {
        requireNonNull(eventId, "eventId");
        requireNonNull(data, "data");
        EventTypeRegistry.checkTypeName(type);
        metadata = Map.copyOf(requireNonNull(metadata, "metadata"));
        metadataValues =
                JsonValues.merge(metadata, JsonValues.copyOf(requireNonNull(metadataValues, "metadataValues")));
        metadata = JsonValues.strings(metadataValues, metadata);
    }

    /**
     * Makes an event whose metadata values are all strings, as before metadata took any JSON value.
     *
     * @param eventId unique id of the event
     * @param type the type name, such as {@code order.created}
     * @param data the payload: a record or POJO the serializer handles, or {@link RawJson}
     * @param metadata free-form string pairs, empty when none
     * @param correlationId the id shared by every event of one conversation, if known
     * @param causationId the id of the event (or command) that caused this one, if known
     * @param source the service or component that produced the event, if known
     * @throws IllegalArgumentException if {@code type} is not a valid type name
     */
    public NewEvent(
            UUID eventId,
            String type,
            Object data,
            Map<String, String> metadata,
            @Nullable UUID correlationId,
            @Nullable UUID causationId,
            @Nullable String source) {
        this(eventId, type, data, metadata, correlationId, causationId, source, Map.of());
    }

    /**
     * Makes a new event with a random id and an empty envelope otherwise.
     *
     * @param type the event's type name
     * @param data the payload, serialized on append
     * @return the event
     * @throws IllegalArgumentException if {@code type} is not a valid type name
     */
    public static NewEvent of(String type, Object data) {
        return new NewEvent(UUID.randomUUID(), type, data, Map.of(), null, null, null);
    }

    /**
     * Makes a new event whose type name comes from the {@link EventType} annotation on the payload's class.
     *
     * @param data the payload, serialized on append
     * @return the event, with a random id
     * @throws IllegalArgumentException if the payload's class has no {@link EventType} annotation
     */
    public static NewEvent of(Object data) {
        return of(EventTypeRegistry.annotatedName(data.getClass()), data);
    }

    /**
     * {@return a copy of this event with another eventId}
     *
     * @param eventId the id that makes appends idempotent
     */
    public NewEvent withEventId(UUID eventId) {
        return new NewEvent(eventId, type, data, metadata, correlationId, causationId, source, metadataValues);
    }

    /**
     * {@return a copy of this event with other metadata, string values only}
     *
     * @param metadata the metadata map, copied; it replaces all metadata
     */
    public NewEvent withMetadata(Map<String, String> metadata) {
        return new NewEvent(eventId, type, data, metadata, correlationId, causationId, source, Map.of());
    }

    /**
     * Returns a copy of this event with other metadata whose values may be any JSON value: {@code String}, {@code
     * Boolean}, a number, a {@code List} or a {@code Map} with string keys of those (whole numbers read back as
     * {@code Long}, others as {@code Double}, unless given as {@code BigInteger} or {@code BigDecimal}).
     *
     * @param metadataValues the metadata map, deep-copied; it replaces all metadata
     * @return the copy
     * @throws IllegalArgumentException if a value is null or not a JSON value, naming its key
     */
    public NewEvent withMetadataValues(Map<String, ?> metadataValues) {
        return new NewEvent(
                eventId, type, data, Map.of(), correlationId, causationId, source, JsonValues.copyOf(metadataValues));
    }

    /**
     * {@return a copy of this event with another correlationId}
     *
     * @param correlationId the correlation id, or null for none
     */
    public NewEvent withCorrelationId(@Nullable UUID correlationId) {
        return new NewEvent(eventId, type, data, metadata, correlationId, causationId, source, metadataValues);
    }

    /**
     * {@return a copy of this event with another causationId}
     *
     * @param causationId the causation id, or null for none
     */
    public NewEvent withCausationId(@Nullable UUID causationId) {
        return new NewEvent(eventId, type, data, metadata, correlationId, causationId, source, metadataValues);
    }

    /**
     * {@return a copy of this event with another source}
     *
     * @param source the source, or null for none
     */
    public NewEvent withSource(@Nullable String source) {
        return new NewEvent(eventId, type, data, metadata, correlationId, causationId, source, metadataValues);
    }
}
