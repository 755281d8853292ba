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
import java.time.Instant;
import java.util.LinkedHashMap;
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
 *  "metadata":{"k":"v"},"data":{…the payload JSON…}}
 * }</pre>
 *
 * Thread-safe.
 */
public final class EventEnvelopeJson {
    // Payload numbers pass through a JSON tree: keep decimals as BigDecimal with their scale so that amounts such as
    // 12345678901234567.10 arrive exactly as they were stored, not rounded to a double.
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonNodeFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private final EventSerializer serializer;
    private final EventTypeRegistry types;

    /**
     * A codec that writes payloads with {@code serializer} and decodes them to the classes {@code types} maps.
     *
     * @param serializer writes and reads payloads; use the store's
     * @param types maps type names to payload classes
     */
    public EventEnvelopeJson(EventSerializer serializer, EventTypeRegistry types) {
        this.serializer = requireNonNull(serializer, "serializer");
        this.types = requireNonNull(types, "types");
    }

    /**
     * The envelope JSON of {@code event}; throws {@link EventSerializationException} if the payload is not JSON.
     *
     * @param event the event
     * @return the envelope JSON
     */
    public String encode(RecordedEvent event) {
        String payload = event.data() instanceof RawJson
                ? ((RawJson) event.data()).json()
                : serializer.serialize(event.type(), event.data());
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
        ObjectNode metadata = root.putObject("metadata");
        event.metadata().forEach(metadata::put);
        try {
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
            return new RecordedEvent(
                    StreamId.of(text(root, "streamId", type)),
                    number(root, "streamVersion", type),
                    number(root, "position", type),
                    UUID.fromString(text(root, "eventId", type)),
                    type,
                    payload(type, data.toString()),
                    metadata(root),
                    optionalUuid(root, "correlationId"),
                    optionalUuid(root, "causationId"),
                    optionalText(root, "source"),
                    Instant.parse(text(root, "recordedAt", type)));
        } catch (EventSerializationException | UnknownEventTypeException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new EventSerializationException(type, "malformed event envelope: " + e.getMessage(), e);
        }
    }

    private Object payload(String type, String json) {
        Optional<Class<?>> target = types.classOf(type);
        if (target.isPresent()) {
            return serializer.deserialize(type, json, target.get());
        }
        if (types.unknownTypesAsRawJson()) {
            return RawJson.of(json);
        }
        throw new UnknownEventTypeException(type, "in a relayed message");
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

    private static Map<String, String> metadata(JsonNode root) {
        JsonNode node = root.get("metadata");
        Map<String, String> metadata = new LinkedHashMap<>();
        if (node != null && node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                metadata.put(field.getKey(), field.getValue().asText());
            }
        }
        return metadata;
    }
}
