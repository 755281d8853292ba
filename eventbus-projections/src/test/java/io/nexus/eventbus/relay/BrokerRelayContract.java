package io.nexus.eventbus.relay;

import static io.nexus.eventbus.relay.TestBroker.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventstore.core.DataSubject;
import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.PersonalData;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.spi.PersonalDataKeys;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link BrokerRelay} must do: relay each event committed to a {@link PostgresEventBus}, those committed
 * before it started included. A broker's test extends this class, carries {@code @PostgresTest}, and sets up a
 * destination (with whatever the broker needs to keep the relayed messages) before each test.
 *
 * @param <R> the broker's relay
 */
@Timeout(60)
public abstract class BrokerRelayContract<R extends BrokerRelay<?>> {
    private static final int EVENTS = 50;

    private final TestDatabase database;

    protected BrokerRelayContract(TestDatabase database) {
        this.database = database;
    }

    /** Starts the broker's relay of {@code bus} to the destination set up for this test. */
    protected abstract R startRelay(PostgresEventBus bus, String subscriptionName);

    /** The ids of the events that have reached the destination so far. */
    protected abstract Set<String> relayedIds() throws Exception;

    /** Asserts that {@code relay} names the destination set up for this test. */
    protected abstract void assertDestination(R relay);

    /** The bodies (envelope JSON) of the messages that have reached the destination so far, as a raw client reads them. */
    protected abstract List<String> relayedBodies() throws Exception;

    /**
     * Starts a consumer of the destination under its own group or queue {@code name}, decoding with {@code types} and
     * {@code keys}; a message its listener fails on comes again within seconds. Closed after the test.
     */
    protected abstract void startConsumer(
            String name, EventTypeRegistry types, PersonalDataKeys keys, EventListener listener) throws Exception;

    @Test
    void every_committed_event_reaches_the_broker_through_a_durable_subscription() throws Exception {
        Set<String> emitted = new HashSet<>();
        try (PostgresEventBus bus = PostgresEventBus.builder(database.dataSource())
                .schema(database.schema())
                .flushInterval(Duration.ofMillis(20))
                .build()) {
            for (int i = 0; i < EVENTS / 2; i++) {
                NewEvent event = NewEvent.of("relay.before", "{\"n\":" + i + "}");
                bus.emit(event);
                emitted.add(event.eventId().toString());
            }

            try (R relay = startRelay(bus, "relay-" + UUID.randomUUID())) {
                for (int i = 0; i < EVENTS / 2; i++) {
                    NewEvent event = NewEvent.of("relay.after", "{\"n\":" + i + "}");
                    bus.emit(event);
                    emitted.add(event.eventId().toString());
                }
                await("all events at the broker", Duration.ofSeconds(30), () -> {
                    try {
                        return relayedIds().size() >= EVENTS;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });

                assertDestination(relay);
                assertThat(relayedIds()).hasSize(EVENTS).isEqualTo(emitted);
            }
        }
    }

    /** Registered in the relaying process's registry. */
    @EventType("customer.contact_changed")
    public record ContactChanged(
            @DataSubject String customerId,
            @PersonalData @Nullable String email,
            String plan) {}

    /** Not registered in the relaying process: its store reads it as raw JSON. */
    @EventType("customer.moved")
    public record CustomerMoved(
            @DataSubject String customerId,
            @PersonalData @Nullable String street,
            String city) {}

    @Test
    void personal_data_leaves_encrypted_whatever_the_type_and_the_relay_keeps_going() throws Exception {
        String erased = "c-" + UUID.randomUUID();
        String kept = "c-" + UUID.randomUUID();
        try (PostgresEventBus bus = PostgresEventBus.builder(database.dataSource())
                .schema(database.schema())
                .types(EventTypeRegistry.builder()
                        .register(ContactChanged.class)
                        .build())
                .flushInterval(Duration.ofMillis(20))
                .build()) {
            NewEvent contact = NewEvent.of(new ContactChanged(erased, "ada@example.org", "gold"));
            NewEvent moved = NewEvent.of(new CustomerMoved(kept, "221b Baker Street", "London"));
            NewEvent after = NewEvent.of("relay.after", "{\"n\":1}");
            bus.emit(contact);
            bus.emit(moved);
            bus.emit(after);
            PersonalDataKeys keys = bus.store().personalDataKeys();
            EventTypeRegistry readers = EventTypeRegistry.builder()
                    .register(ContactChanged.class, CustomerMoved.class)
                    .build();
            Map<UUID, List<RecordedEvent>> deliveries = new ConcurrentHashMap<>();
            startConsumer("readers", readers, keys, event -> {
                List<RecordedEvent> times =
                        deliveries.computeIfAbsent(event.eventId(), id -> new CopyOnWriteArrayList<>());
                times.add(event);
                if (event.eventId().equals(contact.eventId()) && times.size() == 1) {
                    bus.store().eraseSubject(erased);
                    throw new IllegalStateException(
                            "fails once, after erasing the subject, so the message comes again");
                }
            });

            try (R relay = startRelay(bus, "relay-" + UUID.randomUUID())) {
                await(
                        "every event at the consumer, the erased one twice",
                        Duration.ofSeconds(30),
                        () -> deliveries
                                                .getOrDefault(contact.eventId(), List.of())
                                                .size()
                                        >= 2
                                && deliveries.containsKey(moved.eventId())
                                && deliveries.containsKey(after.eventId()));

                assertDestination(relay);
            }
            assertThat(String.join("\n", relayedBodies()))
                    .doesNotContain("ada@example.org")
                    .doesNotContain("Baker Street")
                    .contains("nexus:pii:1:")
                    .contains("gold")
                    .contains("London");
            List<RecordedEvent> contactTimes = deliveries.get(contact.eventId());
            assertThat(contactTimes.get(0).data()).isEqualTo(new ContactChanged(erased, "ada@example.org", "gold"));
            assertThat(contactTimes.get(1).data()).isEqualTo(new ContactChanged(erased, null, "gold"));
            assertThat(contactTimes.get(1).isRedacted()).isTrue();
            assertThat(deliveries.get(moved.eventId()).get(0).data())
                    .isEqualTo(new CustomerMoved(kept, "221b Baker Street", "London"));
            assertThat(deliveries.get(after.eventId())).hasSize(1);
        }
    }
}
