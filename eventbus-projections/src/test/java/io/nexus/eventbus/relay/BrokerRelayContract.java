package io.nexus.eventbus.relay;

import static io.nexus.eventbus.relay.TestBroker.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
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
}
