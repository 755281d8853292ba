package io.nexus.eventstore.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventstore.core.DataSubject;
import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.PersonalData;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.contract.TestPersonalDataKeys;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The relay envelope carries the schema version (consumers upcast old messages) and personal fields encrypted. */
class EnvelopeEvolutionTest {
    @EventType(value = "customer.registered", version = 2)
    record CustomerRegistered(String customerId, String name) {}

    @EventType("customer.contact_changed")
    record ContactChanged(
            @DataSubject String customerId, @PersonalData String email, String plan) {}

    private static RecordedEvent event(String type, Object data, Map<String, Object> metadata) {
        return new RecordedEvent(
                StreamId.of("customer-1"),
                1,
                7,
                UUID.randomUUID(),
                type,
                data,
                Map.of(),
                null,
                null,
                null,
                Instant.parse("2026-01-01T00:00:00Z"),
                metadata);
    }

    private static final EventTypeRegistry CURRENT = EventTypeRegistry.builder()
            .register(CustomerRegistered.class, ContactChanged.class)
            .upcastData(
                    "customer.registered",
                    1,
                    data -> data.put("name", data.remove("first") + " " + data.remove("last")))
            .build();

    @Test
    void a_message_published_before_an_upgrade_is_upcast_by_the_consumer() {
        EventEnvelopeJson oldPublisher =
                new EventEnvelopeJson(JacksonEventSerializer.create(), EventTypeRegistry.rawJson());
        String message = oldPublisher.encode(event(
                "customer.registered",
                RawJson.of("{\"customerId\":\"c1\",\"first\":\"Ada\",\"last\":\"Lovelace\"}"),
                Map.of()));
        EventEnvelopeJson consumer = new EventEnvelopeJson(JacksonEventSerializer.create(), CURRENT);

        RecordedEvent received = consumer.decode(message);

        assertThat(received.data()).isEqualTo(new CustomerRegistered("c1", "Ada Lovelace"));
        assertThat(received.schemaVersion()).isEqualTo(2);
    }

    @Test
    void a_message_in_the_current_version_is_not_upcast_again() {
        EventEnvelopeJson publisher =
                new EventEnvelopeJson(JacksonEventSerializer.create(), EventTypeRegistry.rawJson());
        // What a store read through CURRENT hands the relay: data in v2, its version in the metadata.
        String message = publisher.encode(event(
                "customer.registered",
                new CustomerRegistered("c2", "Alan Turing"),
                Map.of(RecordedEvent.SCHEMA_VERSION_KEY, 2L, "tenant", "t1", "attempt", 2L)));
        EventEnvelopeJson consumer = new EventEnvelopeJson(JacksonEventSerializer.create(), CURRENT);

        RecordedEvent received = consumer.decode(message);

        assertThat(message).contains("\"nexus.schema_version\":2");
        assertThat(received.data()).isEqualTo(new CustomerRegistered("c2", "Alan Turing"));
        assertThat(received.metadataValues()).containsEntry("tenant", "t1").containsEntry("attempt", 2L);
    }

    @Test
    void personal_fields_stay_encrypted_on_the_wire_and_only_a_consumer_with_the_keys_reads_them() {
        TestPersonalDataKeys keys = new TestPersonalDataKeys();
        EventEnvelopeJson publisher =
                new EventEnvelopeJson(JacksonEventSerializer.create(), EventTypeRegistry.rawJson(), keys);
        ContactChanged contact = new ContactChanged("c3", "ada@example.org", "gold");
        String message = publisher.encode(event("customer.contact_changed", contact, Map.of()));

        RecordedEvent withKeys = new EventEnvelopeJson(JacksonEventSerializer.create(), CURRENT, keys).decode(message);
        RecordedEvent withoutKeys = new EventEnvelopeJson(JacksonEventSerializer.create(), CURRENT).decode(message);
        keys.eraseSubject("c3");
        RecordedEvent afterErasure =
                new EventEnvelopeJson(JacksonEventSerializer.create(), CURRENT, keys).decode(message);

        assertThat(message)
                .doesNotContain("ada@example.org")
                .contains("nexus:pii:1:")
                .contains("gold");
        assertThat(withKeys.data()).isEqualTo(contact);
        assertThat(withKeys.isRedacted()).isFalse();
        assertThat(withoutKeys.data()).isEqualTo(new ContactChanged("c3", null, "gold"));
        assertThat(withoutKeys.isRedacted()).isTrue();
        assertThat(afterErasure.isRedacted()).isTrue();
    }

    @Test
    void a_publisher_without_keys_refuses_to_send_personal_data_in_the_clear() {
        EventEnvelopeJson publisher =
                new EventEnvelopeJson(JacksonEventSerializer.create(), EventTypeRegistry.rawJson());

        Throwable thrown = catchThrowable(() -> publisher.encode(
                event("customer.contact_changed", new ContactChanged("c4", "x@example.org", "gold"), Map.of())));

        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("PersonalDataKeys");
    }

    @Test
    void a_split_message_decodes_as_every_part() {
        EventTypeRegistry splitting = EventTypeRegistry.builder()
                .upcast(
                        "shop.checked_out",
                        1,
                        stored -> List.of(
                                io.nexus.eventstore.core.VersionedJson.of("shop.order_placed", 1, stored.data()),
                                io.nexus.eventstore.core.VersionedJson.of(
                                        "shop.order_paid", 1, new java.util.HashMap<>(stored.data()))))
                .build();
        String message = new EventEnvelopeJson(JacksonEventSerializer.create(), EventTypeRegistry.rawJson())
                .encode(event("shop.checked_out", RawJson.of("{\"orderId\":\"o-1\"}"), Map.of()));

        List<RecordedEvent> parts =
                new EventEnvelopeJson(JacksonEventSerializer.create(), splitting).decodeAll(message);

        assertThat(parts).extracting(RecordedEvent::type).containsExactly("shop.order_placed", "shop.order_paid");
        assertThat(parts).extracting(RecordedEvent::position).containsExactly(7L, 7L);
    }
}
