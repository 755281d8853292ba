package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * An event as the store holds it: the envelope it was appended with, plus where it stands.
 *
 * @param streamId the stream it belongs to
 * @param streamVersion its version in the stream: 1 for the first event, no holes
 * @param position its place in the store-wide global order: 1 for the first event, no holes among committed events
 * @param eventId the id it was appended with
 * @param type its type name
 * @param data the payload, decoded to the class the type registry maps the type name to (or {@link RawJson})
 * @param metadata the metadata it was appended with
 * @param correlationId the correlation id it was appended with, if any
 * @param causationId the causation id it was appended with, if any
 * @param source the source it was appended with, if any
 * @param recordedAt when the store recorded it (the database's clock)
 */
public record RecordedEvent(
        StreamId streamId,
        long streamVersion,
        long position,
        UUID eventId,
        String type,
        Object data,
        Map<String, String> metadata,
        @Nullable UUID correlationId,
        @Nullable UUID causationId,
        @Nullable String source,
        Instant recordedAt) {

    /**
     * Checks the required components and copies the metadata.
     *
     * @param streamId the stream it belongs to
     * @param streamVersion its version in the stream: 1 for the first event, no holes
     * @param position its place in the store-wide global order: 1 for the first event, no holes among committed events
     * @param eventId the id it was appended with
     * @param type its type name
     * @param data the payload, decoded to the class the type registry maps the type name to (or {@link RawJson})
     * @param metadata the metadata it was appended with
     * @param correlationId the correlation id it was appended with, if any
     * @param causationId the causation id it was appended with, if any
     * @param source the source it was appended with, if any
     * @param recordedAt when the store recorded it (the database's clock)
     */
    public RecordedEvent {
        requireNonNull(streamId, "streamId");
        requireNonNull(eventId, "eventId");
        requireNonNull(type, "type");
        requireNonNull(data, "data");
        metadata = Map.copyOf(requireNonNull(metadata, "metadata"));
        requireNonNull(recordedAt, "recordedAt");
    }

    /**
     * Returns the payload as an instance of {@code type}.
     *
     * @param <T> the payload's expected class
     * @param type the payload's expected class
     * @return the payload
     * @throws ClassCastException naming both types when the payload is not a {@code type}
     */
    public <T> T dataAs(Class<T> type) {
        if (!type.isInstance(data)) {
            throw new ClassCastException("event " + eventId + " of type '" + this.type + "' holds a "
                    + data.getClass().getName() + ", not a " + type.getName());
        }
        return type.cast(data);
    }

    /** {@return the stream's category: the part of the stream id before the first {@code -}} */
    public String category() {
        return streamId.category();
    }
}
