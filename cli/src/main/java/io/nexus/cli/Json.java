package io.nexus.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The JSON form of events on the command line. An event to append is {@code {"type": "order.placed", "data": {..},
 * "metadata": {"k": "v"}, "eventId": "..", "correlationId": "..", "causationId": "..", "source": ".."}} (only {@code
 * type} and {@code data} required); a recorded event adds {@code streamId}, {@code version}, {@code position} and
 * {@code recordedAt}.
 */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    /** Parses one event object or an array of them; the error names the event's index and what is wrong. */
    static List<NewEvent> newEvents(String text) {
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the events are not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || root.isMissingNode()) {
            throw new IllegalArgumentException("no events given: expected a JSON object or an array of objects");
        }
        if (root.isObject()) {
            return List.of(newEvent(root, 0));
        }
        if (!root.isArray() || root.isEmpty()) {
            throw new IllegalArgumentException("expected a JSON object or a non-empty array of objects, was "
                    + root.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        java.util.ArrayList<NewEvent> events = new java.util.ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            events.add(newEvent(root.get(i), i));
        }
        return events;
    }

    private static NewEvent newEvent(JsonNode node, int index) {
        String where = "event " + index + ": ";
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + "expected an object with type and data, was " + node);
        }
        JsonNode type = node.get("type");
        if (type == null || !type.isTextual()) {
            throw new IllegalArgumentException(where + "\"type\" (a string such as \"order.placed\") is missing");
        }
        JsonNode data = node.get("data");
        if (data == null) {
            throw new IllegalArgumentException(where + "\"data\" (the payload, any JSON) is missing");
        }
        try {
            NewEvent event = NewEvent.of(type.asText(), RawJson.of(MAPPER.writeValueAsString(data)));
            if (node.hasNonNull("eventId")) {
                event = event.withEventId(UUID.fromString(node.get("eventId").asText()));
            }
            if (node.hasNonNull("metadata")) {
                Map<String, String> metadata = new LinkedHashMap<>();
                node.get("metadata")
                        .properties()
                        .forEach(e -> metadata.put(e.getKey(), e.getValue().asText()));
                event = event.withMetadata(metadata);
            }
            if (node.hasNonNull("correlationId")) {
                event = event.withCorrelationId(
                        UUID.fromString(node.get("correlationId").asText()));
            }
            if (node.hasNonNull("causationId")) {
                event = event.withCausationId(
                        UUID.fromString(node.get("causationId").asText()));
            }
            if (node.hasNonNull("source")) {
                event = event.withSource(node.get("source").asText());
            }
            return event;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
    }

    /** The recorded event as a JSON object. */
    static ObjectNode recorded(RecordedEvent event) {
        ObjectNode node = MAPPER.createObjectNode()
                .put("streamId", event.streamId().value())
                .put("version", event.streamVersion())
                .put("position", event.position())
                .put("eventId", event.eventId().toString())
                .put("type", event.type());
        node.set("data", data(event));
        if (!event.metadata().isEmpty()) {
            node.set("metadata", MAPPER.valueToTree(event.metadata()));
        }
        putIfSet(node, "correlationId", event.correlationId());
        putIfSet(node, "causationId", event.causationId());
        putIfSet(node, "source", event.source());
        return node.put("recordedAt", event.recordedAt().toString());
    }

    /** The payload as JSON (the store reads it as {@link RawJson}, the command knows no event classes). */
    static JsonNode data(RecordedEvent event) {
        try {
            return event.data() instanceof RawJson raw ? MAPPER.readTree(raw.json()) : MAPPER.valueToTree(event.data());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("event " + event.eventId() + " has a payload that is not JSON", e);
        }
    }

    private static void putIfSet(ObjectNode node, String field, @Nullable Object value) {
        if (value != null) {
            node.put(field, value.toString());
        }
    }

    /** One line: version, position, time, type and the payload. */
    static String line(RecordedEvent event) {
        return event.streamId().value() + "@" + event.streamVersion() + "  #" + event.position() + "  "
                + event.recordedAt() + "  " + event.type() + "  " + data(event);
    }
}
