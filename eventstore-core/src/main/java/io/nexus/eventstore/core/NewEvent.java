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
 * @param metadata free-form string pairs, empty when none
 * @param correlationId the id shared by every event of one conversation, if known
 * @param causationId the id of the event (or command) that caused this one, if known
 * @param source the service or component that produced the event, if known
 */
public record NewEvent(
        UUID eventId,
        String type,
        Object data,
        Map<String, String> metadata,
        @Nullable UUID correlationId,
        @Nullable UUID causationId,
        @Nullable String source) {

    /**
     * Checks the event and copies its metadata.
     *
     * @param eventId unique id of the event; a random UUID unless given
     * @param type the type name, such as {@code order.created}
     * @param data the payload: a record or POJO the serializer handles, or {@link RawJson}
     * @param metadata free-form string pairs, empty when none
     * @param correlationId the id shared by every event of one conversation, if known
     * @param causationId the id of the event (or command) that caused this one, if known
     * @param source the service or component that produced the event, if known
     * @throws IllegalArgumentException if {@code type} is not a valid type name
     */
    public NewEvent {
        requireNonNull(eventId, "eventId");
        requireNonNull(data, "data");
        EventTypeRegistry.checkTypeName(type);
        metadata = Map.copyOf(requireNonNull(metadata, "metadata"));
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
        return new NewEvent(eventId, type, data, metadata, correlationId, causationId, source);
    }

    /**
     * {@return a copy of this event with other metadata}
     *
     * @param metadata the metadata map, copied
     */
    public NewEvent withMetadata(Map<String, String> metadata) {
        return new NewEvent(eventId, type, data, metadata, correlationId, causationId, source);
    }

    /**
     * {@return a copy of this event with another correlationId}
     *
     * @param correlationId the correlation id, or null for none
     */
    public NewEvent withCorrelationId(@Nullable UUID correlationId) {
        return new NewEvent(eventId, type, data, metadata, correlationId, causationId, source);
    }

    /**
     * {@return a copy of this event with another causationId}
     *
     * @param causationId the causation id, or null for none
     */
    public NewEvent withCausationId(@Nullable UUID causationId) {
        return new NewEvent(eventId, type, data, metadata, correlationId, causationId, source);
    }

    /**
     * {@return a copy of this event with another source}
     *
     * @param source the source, or null for none
     */
    public NewEvent withSource(@Nullable String source) {
        return new NewEvent(eventId, type, data, metadata, correlationId, causationId, source);
    }
}
