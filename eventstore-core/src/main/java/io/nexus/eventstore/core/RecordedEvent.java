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
 * @param metadataValues every metadata entry, its value any JSON value in plain Java (see {@link
 *     NewEvent#withMetadataValues}); the string entries are also in {@code metadata}. The store adds entries under
 *     the reserved {@code nexus.} prefix: {@link #SCHEMA_VERSION_KEY} and {@link #REDACTED_KEY}
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
        Instant recordedAt,
        Map<String, Object> metadataValues) {
    /**
     * The metadata key holding the schema version of the payload as returned (after upcasting), when above 1; see
     * {@link #schemaVersion()}.
     */
    public static final String SCHEMA_VERSION_KEY = "nexus.schema_version";

    /** The metadata key set to {@code true} when personal data in the payload was masked; see {@link #isRedacted()}. */
    public static final String REDACTED_KEY = "nexus.redacted";

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
     * @param metadataValues metadata entries with any JSON value; with {@code metadata}, the event's metadata
     * @throws IllegalArgumentException if a metadata value is not a JSON value, or a key is given in both maps with
     *     different values
     */
    public RecordedEvent {
        requireNonNull(streamId, "streamId");
        requireNonNull(eventId, "eventId");
        requireNonNull(type, "type");
        requireNonNull(data, "data");
        metadata = Map.copyOf(requireNonNull(metadata, "metadata"));
        requireNonNull(recordedAt, "recordedAt");
        metadataValues =
                JsonValues.merge(metadata, JsonValues.copyOf(requireNonNull(metadataValues, "metadataValues")));
        metadata = JsonValues.strings(metadataValues, metadata);
    }

    /**
     * An event whose metadata values are all strings, as before metadata took any JSON value.
     *
     * @param streamId the stream it belongs to
     * @param streamVersion its version in the stream: 1 for the first event, no holes
     * @param position its place in the store-wide global order
     * @param eventId the id it was appended with
     * @param type its type name
     * @param data the payload
     * @param metadata the metadata it was appended with
     * @param correlationId the correlation id it was appended with, if any
     * @param causationId the causation id it was appended with, if any
     * @param source the source it was appended with, if any
     * @param recordedAt when the store recorded it (the database's clock)
     */
    public RecordedEvent(
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
        this(
                streamId,
                streamVersion,
                position,
                eventId,
                type,
                data,
                metadata,
                correlationId,
                causationId,
                source,
                recordedAt,
                Map.of());
    }

    /**
     * The schema version of the payload as returned: the version of its event type after the store's upcasters ran
     * (see {@link EventTypeRegistry.Builder#upcast}).
     *
     * @return the version, 1 when the event type has never changed shape
     */
    public int schemaVersion() {
        return metadataValues.get(SCHEMA_VERSION_KEY) instanceof Number version ? version.intValue() : 1;
    }

    /**
     * Tells whether personal data in the payload was masked: its fields (see {@link PersonalData}) read as null
     * because their subject was erased, or because the reader has no access to the subject's key.
     *
     * @return whether personal fields were masked
     */
    public boolean isRedacted() {
        return Boolean.TRUE.equals(metadataValues.get(REDACTED_KEY));
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
