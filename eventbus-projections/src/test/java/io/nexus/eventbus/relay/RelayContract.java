package io.nexus.eventbus.relay;

import static io.nexus.eventbus.relay.TestBroker.await;
import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.MemoryEventBus;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.VersionedJson;
import io.nexus.eventstore.core.contract.TestPersonalDataKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every broker relay's publisher and consumer must do alike: carry the envelope of {@link
 * io.nexus.eventstore.json.EventEnvelopeJson} through the broker unchanged. A broker's test extends this class and
 * sets up its publisher and consumers against a real broker.
 *
 * @param <P> the broker's publisher
 */
@Timeout(60)
public abstract class RelayContract<P extends RelayPublisher> {
    protected static final Duration WAIT = Duration.ofSeconds(20);

    private static final EventTypeRegistry EVOLVED = EventTypeRegistry.builder()
            .register(
                    TestEvents.CustomerRegistered.class,
                    TestEvents.ShopOrderPlaced.class,
                    TestEvents.ShopOrderPaid.class,
                    TestEvents.ContactChanged.class)
            .upcastData(
                    "customer.registered",
                    1,
                    data -> data.put("name", data.remove("first") + " " + data.remove("last")))
            .upcastData("customer.registered", 2, data -> data.put("tier", "basic"))
            .upcast("shop.checked_out", 1, stored -> {
                Map<String, Object> placed = new HashMap<>(stored.data());
                placed.remove("amountCents");
                return List.of(
                        VersionedJson.of("shop.order_placed", 1, placed),
                        VersionedJson.of("shop.order_paid", 1, new HashMap<>(stored.data())));
            })
            .build();

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final TestPersonalDataKeys keys = new TestPersonalDataKeys();
    private @Nullable P publisher;

    /** Connects to the test broker, sets up what the test's destination needs, and opens the publisher to it. */
    protected abstract P connect() throws Exception;

    /** Removes the test's streams, queues or exchanges and closes the connections {@link #connect()} opened. */
    protected abstract void disconnect() throws Exception;

    @BeforeEach
    final void connectThePublisher() throws Exception {
        publisher = closeAfter(connect());
    }

    @AfterEach
    final void closeEverything() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
        disconnect();
    }

    /** The publisher under test, opened before each test by {@link #connect()}. */
    protected final P publisher() {
        return requireNonNull(publisher, "publisher");
    }

    /** The subjects' keys the publisher and every consumer of the test must be given. */
    protected final TestPersonalDataKeys keys() {
        return keys;
    }

    /** Registers {@code closeable} to be closed after the test, before {@link #disconnect()}; returns it. */
    protected final <T extends AutoCloseable> T closeAfter(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    /**
     * Starts a consumer of what {@link #publisher()} publishes, as its own group or queue {@code name}, with {@link
     * #keys()}; a message its listener fails on comes again within seconds.
     */
    protected abstract void startConsumer(String name, EventTypeRegistry types, EventListener listener);

    /** Publishes {@code event} and returns its envelope JSON as the broker holds it. */
    protected abstract String publishedEnvelope(RecordedEvent event) throws Exception;

    @Test
    void every_envelope_field_survives_the_round_trip_as_raw_json() throws Exception {
        RecordedEvent sent = TestEvents.fullyPopulated(RawJson.of("{\"orderId\":\"42\",\"lines\":[1,2]}"));
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        startConsumer("round-trip", EventTypeRegistry.rawJson(), received::add);

        publisher().handle(sent);

        await("the event", WAIT, () -> received.size() == 1);
        assertThat(received.get(0)).isEqualTo(sent);
    }

    @Test
    void large_and_precise_numbers_in_the_payload_arrive_exactly() throws Exception {
        RawJson payload = RawJson.of("{\"amount\":12345678901234567.10,\"count\":123456789012345678901234567890,"
                + "\"ratio\":0.1,\"unicode\":\"\u00e9\u4e2d\\n\"}");
        RecordedEvent sent = TestEvents.fullyPopulated(payload);
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        startConsumer("numbers", EventTypeRegistry.rawJson(), received::add);

        publisher().handle(sent);

        await("the event", WAIT, () -> received.size() == 1);
        assertThat(received.get(0).data()).isEqualTo(payload);
    }

    @Test
    void a_publisher_relays_what_a_bus_subscription_hands_it() throws Exception {
        List<RecordedEvent> delivered = new CopyOnWriteArrayList<>();
        List<RecordedEvent> relayed = new CopyOnWriteArrayList<>();
        startConsumer("bus", EventTypeRegistry.rawJson(), relayed::add);
        try (MemoryEventBus bus = MemoryEventBus.create()) {
            bus.subscribe("order.*", publisher());
            bus.subscribe("order.*", delivered::add);

            bus.emit(NewEvent.of("order.placed", RawJson.of("{\"orderId\":\"42\"}"))
                    .withCorrelationId(UUID.randomUUID())
                    .withSource("checkout"));
            bus.emit(NewEvent.of("user.registered", RawJson.of("{}")));
            bus.emit(NewEvent.of("order.shipped", RawJson.of("{\"orderId\":\"42\"}")));

            await("both order events", WAIT, () -> relayed.size() == 2);
        }
        assertThat(relayed).containsExactlyElementsOf(delivered);
    }

    @Test
    void the_envelope_has_the_documented_fields() throws Exception {
        RecordedEvent sent = TestEvents.fullyPopulated(RawJson.of("{\"orderId\":\"42\"}"));

        String body = publishedEnvelope(sent);
        JsonNode envelope = new ObjectMapper().readTree(body);
        List<String> fields = new ArrayList<>();
        envelope.properties().forEach(field -> fields.add(field.getKey()));
        assertThat(fields)
                .containsExactly(
                        "eventId",
                        "type",
                        "streamId",
                        "streamVersion",
                        "position",
                        "recordedAt",
                        "correlationId",
                        "causationId",
                        "source",
                        "metadata",
                        "data");
        assertThat(envelope.get("eventId").asText()).isEqualTo(sent.eventId().toString());
        assertThat(envelope.get("type").asText()).isEqualTo("order.placed");
        assertThat(envelope.get("streamId").asText()).isEqualTo("order-42");
        assertThat(envelope.get("streamVersion").asLong()).isEqualTo(7);
        assertThat(envelope.get("position").asLong()).isEqualTo(12345);
        assertThat(envelope.get("recordedAt").asText()).isEqualTo("2026-11-27T05:00:00.123456Z");
        assertThat(envelope.get("correlationId").asText()).isEqualTo(String.valueOf(sent.correlationId()));
        assertThat(envelope.get("causationId").asText()).isEqualTo(String.valueOf(sent.causationId()));
        assertThat(envelope.get("source").asText()).isEqualTo("checkout-service");
        assertThat(envelope.get("metadata").get("tenant").asText()).isEqualTo("acme");
        assertThat(envelope.get("data").get("orderId").asText()).isEqualTo("42");
    }

    @Test
    void a_registered_payload_type_is_decoded_to_its_class_and_absent_ids_stay_absent() throws Exception {
        TestEvents.OrderPlaced payload = new TestEvents.OrderPlaced("42", 1999, Instant.parse("2026-11-27T04:00:00Z"));
        RecordedEvent full = TestEvents.fullyPopulated(payload);
        RecordedEvent sent = new RecordedEvent(
                full.streamId(),
                full.streamVersion(),
                full.position(),
                full.eventId(),
                full.type(),
                payload,
                Map.of(),
                null,
                null,
                null,
                full.recordedAt());
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        startConsumer(
                "typed",
                EventTypeRegistry.builder()
                        .register("order.placed", TestEvents.OrderPlaced.class)
                        .build(),
                received::add);

        publisher().handle(sent);

        await("the event", WAIT, () -> received.size() == 1);
        assertThat(received.get(0)).isEqualTo(sent);
        assertThat(received.get(0).dataAs(TestEvents.OrderPlaced.class)).isEqualTo(payload);
    }

    @Test
    void a_message_published_before_an_upgrade_arrives_upcast_through_the_chain() throws Exception {
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        startConsumer("upcast", EVOLVED, received::add);

        publisher()
                .handle(TestEvents.stored(
                        1, "customer.registered", "{\"customerId\":\"c1\",\"first\":\"Ada\",\"last\":\"Lovelace\"}"));

        await("the event", WAIT, () -> received.size() == 1);
        assertThat(received.get(0).data()).isEqualTo(new TestEvents.CustomerRegistered("c1", "Ada Lovelace", "basic"));
        assertThat(received.get(0).schemaVersion()).isEqualTo(3);
    }

    @Test
    void a_message_an_upcaster_splits_arrives_as_every_part_in_order() throws Exception {
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        startConsumer("split", EVOLVED, received::add);

        RecordedEvent first = TestEvents.stored(1, "shop.checked_out", "{\"orderId\":\"o-1\",\"amountCents\":500}");
        RecordedEvent second = TestEvents.stored(2, "shop.checked_out", "{\"orderId\":\"o-2\",\"amountCents\":700}");
        publisher().handle(first);
        publisher().handle(second);

        await("both parts of both messages", WAIT, () -> received.size() == 4);
        assertThat(received)
                .extracting(RecordedEvent::data)
                .containsExactly(
                        new TestEvents.ShopOrderPlaced("o-1"),
                        new TestEvents.ShopOrderPaid("o-1", 500),
                        new TestEvents.ShopOrderPlaced("o-2"),
                        new TestEvents.ShopOrderPaid("o-2", 700));
        assertThat(received).extracting(RecordedEvent::position).containsExactly(1L, 1L, 2L, 2L);
        // The first part keeps the message's event id; the second gets its own.
        assertThat(received.get(0).eventId()).isEqualTo(first.eventId());
        assertThat(received.get(1).eventId()).isNotEqualTo(first.eventId());
    }

    @Test
    void a_personal_field_travels_encrypted_and_is_masked_once_its_subject_is_erased() throws Exception {
        TestEvents.ContactChanged contact = new TestEvents.ContactChanged("c9", "ada@example.org", "gold");
        List<RecordedEvent> deliveries = new CopyOnWriteArrayList<>();
        startConsumer("personal", EVOLVED, event -> {
            deliveries.add(event);
            if (deliveries.size() == 1) {
                keys().eraseSubject("c9");
                throw new IllegalStateException("fails once, after erasing the subject, so the message comes again");
            }
        });

        String wire = publishedEnvelope(TestEvents.of(1, "customer.contact_changed", contact));

        assertThat(wire)
                .doesNotContain("ada@example.org")
                .contains("nexus:pii:1:")
                .contains("gold");
        await("the delivery after the erasure", WAIT, () -> deliveries.size() >= 2);
        assertThat(deliveries.get(0).data()).isEqualTo(contact);
        assertThat(deliveries.get(0).isRedacted()).isFalse();
        assertThat(deliveries.get(1).data()).isEqualTo(new TestEvents.ContactChanged("c9", null, "gold"));
        assertThat(deliveries.get(1).isRedacted()).isTrue();
    }
}
