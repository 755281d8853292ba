package io.nexus.eventstore.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.InMemoryEventStore;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.UnknownEventTypeException;
import io.nexus.eventstore.core.UnknownTypePolicy;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EventEnvelopeJsonTest {
    record OrderPlaced(String orderId, long totalCents, Instant placedAt) {}

    private static RecordedEvent event(Object data) {
        InMemoryEventStore store = InMemoryEventStore.create();
        StreamId order = StreamId.of("order-42");
        store.append(
                order,
                ExpectedVersion.noStream(),
                List.of(NewEvent.of("order.placed", data)
                        .withMetadata(Map.of("tenant", "acme"))
                        .withCorrelationId(UUID.randomUUID())
                        .withSource("checkout-service")));
        return store.readStream(order, 0, 1).get(0);
    }

    @Test
    void an_event_with_a_raw_json_payload_decodes_to_an_equal_event() {
        EventEnvelopeJson codec = new EventEnvelopeJson(JacksonEventSerializer.create(), EventTypeRegistry.rawJson());
        RecordedEvent sent = event(RawJson.of("{\"amount\":12345678901234567.10,\"lines\":[1,2]}"));

        RecordedEvent received = codec.decode(codec.encode(sent));

        assertThat(received).isEqualTo(sent);
    }

    @Test
    void a_registered_type_decodes_to_its_class() {
        EventTypeRegistry types = EventTypeRegistry.builder()
                .register("order.placed", OrderPlaced.class)
                .build();
        EventEnvelopeJson codec = new EventEnvelopeJson(JacksonEventSerializer.create(), types);
        OrderPlaced payload = new OrderPlaced("42", 1999, Instant.parse("2026-11-27T04:00:00Z"));

        RecordedEvent received = codec.decode(codec.encode(event(payload)));

        assertThat(received.data()).isEqualTo(payload);
    }

    @Test
    void an_unregistered_type_is_a_typed_error_when_raw_json_is_not_allowed() {
        EventEnvelopeJson writer = new EventEnvelopeJson(JacksonEventSerializer.create(), EventTypeRegistry.rawJson());
        EventEnvelopeJson strict = new EventEnvelopeJson(
                JacksonEventSerializer.create(),
                EventTypeRegistry.builder().unknownTypes(UnknownTypePolicy.FAIL).build());
        String envelope = writer.encode(event(RawJson.of("{}")));

        assertThatThrownBy(() -> strict.decode(envelope))
                .isInstanceOf(UnknownEventTypeException.class)
                .hasMessageContaining("order.placed");
    }

    @Test
    void a_malformed_envelope_is_a_serialization_error_naming_the_field() {
        EventEnvelopeJson codec = new EventEnvelopeJson(JacksonEventSerializer.create(), EventTypeRegistry.rawJson());

        assertThatThrownBy(() -> codec.decode("not json")).isInstanceOf(EventSerializationException.class);
        assertThatThrownBy(() -> codec.decode("{\"type\":\"order.placed\",\"data\":{},\"streamId\":\"order-1\"}"))
                .isInstanceOf(EventSerializationException.class)
                .hasMessageContaining("'streamVersion'");
    }
}
