package io.nexus.eventbus.rabbitmq;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventbus.RabbitMqConfig;
import io.nexus.eventbus.relay.BrokerRelay;
import java.util.function.Supplier;

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
public final class RabbitMqRelay extends BrokerRelay<RabbitMqPublisher> {
    private RabbitMqRelay(PostgresEventBus bus, String subscriptionName, Supplier<RabbitMqPublisher> publisher) {
        super(bus, subscriptionName, publisher);
    }

    /**
     * Starts relaying {@code bus}'s events to the exchange {@link RabbitMqConfig#exchange()} (declared as a
     * durable topic exchange if missing) on {@link RabbitMqConfig#url()}, each with its type as routing key.
     *
     * @param bus the bus whose committed events are relayed
     * @param settings the broker URI and exchange
     * @param subscriptionName the durable subscription's name: keep it across restarts, so the relay resumes
     * @return the running relay; close it to stop
     * @throws IllegalArgumentException if the name is not a valid subscription name
     * @throws IllegalStateException if {@code bus} already runs a subscription of that name, or is closed
     * @throws java.io.UncheckedIOException if the broker cannot be reached or the exchange declared
     */
    public static RabbitMqRelay start(PostgresEventBus bus, RabbitMqConfig settings, String subscriptionName) {
        requireNonNull(settings, "settings");
        return new RabbitMqRelay(
                bus,
                subscriptionName,
                () -> RabbitMqPublisher.builder(settings.url())
                        .exchange(settings.exchange())
                        .build());
    }

    /** {@return the exchange events are relayed to} */
    public String exchange() {
        return publisher().exchange();
    }
}
