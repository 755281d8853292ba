package io.nexus.eventbus.rabbitmq;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.DurableSubscription;
import io.nexus.eventbus.NexusConfig;
import io.nexus.eventbus.PostgresEventBus;

/**
 * Relays every event committed to a {@link PostgresEventBus} to a RabbitMQ topic exchange, at least once: a {@link
 * RabbitMqPublisher} (publisher confirms) runs as the listener of the durable subscription {@code subscriptionName} to
 * {@code "*"}, so the relay resumes from its checkpoint after a restart, and an event the broker does not confirm is
 * retried (and dead-lettered after the bus's retries, see {@link PostgresEventBus}). An event may be published twice;
 * consumers deduplicate on its id. Messages routed to no queue are dropped by the broker, as for any topic exchange:
 * bind the consumers' queues before relaying.
 *
 * <pre>{@code
 * NexusConfig config = NexusConfig.fromYaml(Path.of("nexus.yaml"));   // backend: rabbitmq
 * try (PostgresEventBus bus = EventBuses.createPostgres(config);
 *         RabbitMqRelay relay = RabbitMqRelay.start(bus, config.rabbitMq(), "rabbitmq-relay")) {
 *     bus.emit(NewEvent.of("user.registered", new UserRegistered("ada")));
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class RabbitMqRelay implements AutoCloseable {
    private final RabbitMqPublisher publisher;
    private final DurableSubscription subscription;

    private RabbitMqRelay(RabbitMqPublisher publisher, DurableSubscription subscription) {
        this.publisher = publisher;
        this.subscription = subscription;
    }

    /**
     * Starts relaying {@code bus}'s events to the exchange {@link NexusConfig.RabbitMq#exchange()} (declared as a
     * durable topic exchange if missing) on {@link NexusConfig.RabbitMq#uri()}, each with its type as routing key.
     *
     * @param bus the bus whose committed events are relayed
     * @param settings the broker URI and exchange
     * @param subscriptionName the durable subscription's name: keep it across restarts, so the relay resumes
     * @return the running relay; close it to stop
     * @throws IllegalArgumentException if the name is not a valid subscription name
     * @throws IllegalStateException if {@code bus} already runs a subscription of that name, or is closed
     * @throws java.io.UncheckedIOException if the broker cannot be reached or the exchange declared
     */
    public static RabbitMqRelay start(PostgresEventBus bus, NexusConfig.RabbitMq settings, String subscriptionName) {
        requireNonNull(bus, "bus");
        requireNonNull(settings, "settings");
        requireNonNull(subscriptionName, "subscriptionName");
        RabbitMqPublisher publisher = RabbitMqPublisher.builder(settings.uri()).exchange(settings.exchange()).build();
        try {
            return new RabbitMqRelay(publisher, bus.subscribeDurable(subscriptionName, "*", publisher));
        } catch (RuntimeException e) {
            publisher.close();
            throw e;
        }
    }

    /** {@return the durable subscription feeding the relay, e.g. for its name} */
    public DurableSubscription subscription() {
        return subscription;
    }

    /** {@return the exchange events are relayed to} */
    public String exchange() {
        return publisher.exchange();
    }

    /** Stops the subscription (releasing its lease; the checkpoint stays), then closes the broker connection. */
    @Override
    public void close() {
        try {
            subscription.close();
        } finally {
            publisher.close();
        }
    }
}
