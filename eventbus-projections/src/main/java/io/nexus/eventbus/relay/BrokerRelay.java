package io.nexus.eventbus.relay;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.DurableSubscription;
import io.nexus.eventbus.PostgresEventBus;
import java.util.function.Supplier;

/**
 * Relays every event committed to a {@link PostgresEventBus} to a broker, at least once: the relay's {@link
 * RelayPublisher} runs as the listener of a durable subscription to every event in its stored form ({@link
 * PostgresEventBus#subscribeDurableAsStored}), so the relay resumes from its checkpoint after a restart, personal
 * fields leave encrypted whatever the event's type (consumers given the store's keys decrypt them), and events travel
 * in the schema version they were written in (consumers upcast them), and an event the publisher fails on is retried (and dead-lettered after the bus's
 * retries). An event may reach the broker twice; consumers deduplicate on its id. A broker module extends this class
 * with a {@code start} factory and accessors for its settings.
 *
 * <p>Thread-safe.
 *
 * @param <P> the broker's publisher
 */
public abstract class BrokerRelay<P extends RelayPublisher> implements AutoCloseable {
    private final P publisher;
    private final DurableSubscription subscription;

    /**
     * Opens the relay's publisher and subscribes it to every event of {@code bus} as the durable subscription {@code
     * subscriptionName}; the relay owns the publisher from here on, and closes it if the subscription cannot be made.
     *
     * @param bus the bus whose committed events are relayed
     * @param subscriptionName the durable subscription's name: keep it across restarts, so the relay resumes
     * @param publisher opens the publisher, once, after the arguments were checked
     * @throws IllegalArgumentException if the name is not a valid subscription name
     * @throws IllegalStateException if {@code bus} already runs a subscription of that name, or is closed
     */
    protected BrokerRelay(PostgresEventBus bus, String subscriptionName, Supplier<P> publisher) {
        requireNonNull(bus, "bus");
        requireNonNull(subscriptionName, "subscriptionName");
        this.publisher = requireNonNull(publisher.get(), "publisher");
        try {
            this.subscription = bus.subscribeDurableAsStored(subscriptionName, this.publisher);
        } catch (RuntimeException e) {
            this.publisher.close();
            throw e;
        }
    }

    /** {@return the durable subscription feeding the relay, e.g. for its name} */
    public final DurableSubscription subscription() {
        return subscription;
    }

    /** {@return the publisher the subscription hands each event to} */
    protected final P publisher() {
        return publisher;
    }

    /** Stops the subscription (releasing its lease; the checkpoint stays), then closes the publisher's connections. */
    @Override
    public void close() {
        try {
            subscription.close();
        } finally {
            publisher.close();
        }
    }
}
