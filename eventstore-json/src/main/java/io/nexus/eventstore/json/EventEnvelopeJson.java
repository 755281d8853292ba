package io.nexus.eventstore.json;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.UnknownEventTypeException;
import io.nexus.eventstore.core.spi.EventSerializer;
import io.nexus.eventstore.core.spi.PersonalDataKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The JSON envelope in which the broker relays (Redis Streams, RabbitMQ) carry a {@link RecordedEvent}, and back.
 * Both relays write and read exactly this format, so a consumer of either reads the other's messages:
 *
 * <pre>{@code
 * {"eventId":"…","type":"order.created","streamId":"order-42","streamVersion":1,"position":17,
 *  "recordedAt":"2026-01-01T00:00:00Z","correlationId":"…"|null,"causationId":"…"|null,"source":"…"|null,
 *  "metadata":{"k":"v","n":1,…},"data":{…the payload JSON…}}
 * }</pre>
 *
 * <p>Metadata values are any JSON values. The payload travels in the schema version the publisher read it in, named by
 * the metadata key {@link RecordedEvent#SCHEMA_VERSION_KEY} (absent: version 1), and a consumer runs its registry's
 * upcasters from there, so messages published before an upgrade still decode. Personal fields travel encrypted
 * (metadata {@link EventPayloads#ENCRYPTED_KEY}); a consumer given the keys decrypts them, one without reads them
 * masked. Thread-safe.
 */
public final class EventEnvelopeJson {
    // Payload numbers pass through a JSON tree: keep decimals as BigDecimal with their scale so that amounts such as
    // 12345678901234567.10 arrive exactly as they were stored, not rounded to a double.
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonNodeFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private static final ObjectMapper PLAIN = new ObjectMapper();

    private final EventSerializer serializer;
    private final EventTypeRegistry types;
    private final EventPayloads payloads;

    /**
     * A codec that writes payloads with {@code serializer} and decodes them to the classes {@code types} maps, without
     * access to personal-data keys.
     *
     * @param serializer writes and reads payloads; use the store's
     * @param types maps type names to payload classes, with the upcasters to run
     */
    public EventEnvelopeJson(EventSerializer serializer, EventTypeRegistry types) {
        this(serializer, types, null);
    }

    /**
     * A codec that also encrypts personal fields when it encodes and decrypts them when it decodes.
     *
     * @param serializer writes and reads payloads; use the store's
     * @param types maps type names to payload classes, with the upcasters to run
     * @param keys the subjects' keys (the store's {@code personalDataKeys()}), or null for none
     */
    public EventEnvelopeJson(EventSerializer serializer, EventTypeRegistry types, @Nullable PersonalDataKeys keys) {
        this.serializer = requireNonNull(serializer, "serializer");
        this.types = requireNonNull(types, "types");
        this.payloads = new EventPayloads(types, serializer, keys);
    }

    /**
     * The envelope JSON of {@code event}; throws {@link EventSerializationException} if the payload is not JSON.
     *
     * @param event the event
     * @return the envelope JSON
     */
    public String encode(RecordedEvent event) {
        String payload = payloads.serialize(event.eventId(), event.type(), event.data());
        ObjectNode root = MAPPER.createObjectNode();
        root.put("eventId", event.eventId().toString());
        root.put("type", event.type());
        root.put("streamId", event.streamId().value());
        root.put("streamVersion", event.streamVersion());
        root.put("position", event.position());
        root.put("recordedAt", event.recordedAt().toString());
        root.put(
                "correlationId",
                event.correlationId() == null ? null : event.correlationId().toString());
        root.put(
                "causationId",
                event.causationId() == null ? null : event.causationId().toString());
        root.put("source", event.source());
        Map<String, Object> metadata = new LinkedHashMap<>(event.metadataValues());
        if (payloads.encrypts(event.data())) {
            metadata.put(EventPayloads.ENCRYPTED_KEY, true);
        }
        try {
            root.set("metadata", MAPPER.valueToTree(metadata));
            root.set("data", MAPPER.readTree(payload));
            return MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new EventSerializationException(event.type(), "the payload is not a JSON document", e);
        }
    }

    /**
     * The event in envelope {@code json}, its payload decoded to the class registered for its type (or {@link RawJson}
     * when the registry reads unknown types as raw JSON).
     *
     * @param json the envelope JSON
     * @return the decoded event
     * @throws EventSerializationException if the envelope is malformed or the payload does not decode
     * @throws UnknownEventTypeException if the type is not registered and the registry does not allow raw JSON
     */
    public RecordedEvent decode(String json) {
        return decodeAll(json).get(0);
    }

    /**
     * The events in envelope {@code json}: one, or more when an upcaster splits its payload.
     *
     * @param json the envelope JSON
     * @return the decoded events, at least one
     * @throws EventSerializationException if the envelope is malformed or the payload does not decode
     * @throws UnknownEventTypeException if a type is not registered and the registry reads strictly
     */
    public List<RecordedEvent> decodeAll(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new EventSerializationException("?", "the message is not a JSON event envelope", e);
        }
        if (root == null || !root.isObject()) {
            throw new EventSerializationException("?", "the message is not a JSON event envelope object");
        }
        String type = text(root, "type", "?");
        try {
            JsonNode data = root.get("data");
            if (data == null || data.isMissingNode()) {
                throw new IllegalArgumentException("field 'data' is missing");
            }
            StreamId stream = StreamId.of(text(root, "streamId", type));
            long version = number(root, "streamVersion", type);
            long position = number(root, "position", type);
            UUID eventId = UUID.fromString(text(root, "eventId", type));
            Map<String, Object> metadata = metadata(root);
            UUID correlationId = optionalUuid(root, "correlationId");
            UUID causationId = optionalUuid(root, "causationId");
            String source = optionalText(root, "source");
            Instant recordedAt = Instant.parse(text(root, "recordedAt", type));
            int schemaVersion = EventPayloads.storedVersion(metadata);
            boolean encrypted = EventPayloads.isEncrypted(metadata);
            if (payloads.isPlain(type, schemaVersion, encrypted)) {
                return List.of(new RecordedEvent(
                        stream,
                        version,
                        position,
                        eventId,
                        type,
                        payload(type, data.toString()),
                        Map.of(),
                        correlationId,
                        causationId,
                        source,
                        recordedAt,
                        metadata));
            }
            List<RecordedEvent> events = new ArrayList<>(1);
            byte[] bytes = MAPPER.writeValueAsBytes(data);
            for (EventPayloads.Decoded decoded :
                    payloads.read(eventId, type, schemaVersion, encrypted, bytes, "in a relayed message")) {
                events.add(new RecordedEvent(
                        stream,
                        version,
                        position,
                        decoded.eventId(),
                        decoded.type(),
                        decoded.data(),
                        Map.of(),
                        correlationId,
                        causationId,
                        source,
                        recordedAt,
                        EventPayloads.metadataOf(metadata, decoded)));
            }
            return events;
        } catch (EventSerializationException | UnknownEventTypeException e) {
            throw e;
        } catch (RuntimeException | JsonProcessingException e) {
            throw new EventSerializationException(type, "malformed event envelope: " + e.getMessage(), e);
        }
    }

    private Object payload(String type, String json) {
        Optional<Class<?>> target = types.classOf(type);
        if (target.isPresent()) {
            return serializer.deserialize(type, json, target.get());
        }
        return payloads.unknown(type, json, "in a relayed message");
    }

    private static String text(JsonNode root, String field, String type) {
        JsonNode node = root.get(field);
        if (node == null || !node.isTextual()) {
            throw new EventSerializationException(
                    type, "malformed event envelope: field '" + field + "' must be a string, was " + node);
        }
        return node.asText();
    }

    private static long number(JsonNode root, String field, String type) {
        JsonNode node = root.get(field);
        if (node == null || !node.canConvertToLong() || !node.isIntegralNumber()) {
            throw new EventSerializationException(
                    type, "malformed event envelope: field '" + field + "' must be an integer, was " + node);
        }
        return node.asLong();
    }

    private static @Nullable String optionalText(JsonNode root, String field) {
        JsonNode node = root.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }

    private static @Nullable UUID optionalUuid(JsonNode root, String field) {
        String text = optionalText(root, field);
        return text == null ? null : UUID.fromString(text);
    }

    private static Map<String, Object> metadata(JsonNode root) throws JsonProcessingException {
        JsonNode node = root.get("metadata");
        Map<String, Object> metadata = new LinkedHashMap<>();
        if (node != null && node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                if (!field.getValue().isNull()) {
                    // Read from text by a plain mapper: decimals come back as Double, as the store reads them.
                    metadata.put(
                            field.getKey(), PLAIN.readValue(field.getValue().toString(), Object.class));
                }
            }
        }
        return metadata;
    }
}
