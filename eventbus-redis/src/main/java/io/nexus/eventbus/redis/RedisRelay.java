package io.nexus.eventbus.redis;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventbus.RedisConfig;
import io.nexus.eventbus.relay.BrokerRelay;
import java.util.function.Supplier;

/**
 * Relays every event committed to a {@link PostgresEventBus} to a Redis stream, at least once: a {@link
 * RedisStreamPublisher} runs as the listener of the durable subscription {@code subscriptionName} to {@code "*"}, so
 * the relay resumes from its checkpoint after a restart, and an event whose {@code XADD} fails is retried (and
 * dead-lettered after the bus's retries, see {@link PostgresEventBus}). An event may reach the stream twice; consumers
 * deduplicate on its id.
 *
 * <pre>{@code
 * NexusConfig config = NexusConfig.fromYaml(Path.of("nexus.yaml"));   // backend: redis
 * try (PostgresEventBus bus = EventBuses.createPostgres(config);
 *         RedisRelay relay = RedisRelay.start(bus, config.redis(), "redis-relay")) {
 *     bus.emit(NewEvent.of("user.registered", new UserRegistered("ada")));
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class RedisRelay extends BrokerRelay<RedisStreamPublisher> {
    private RedisRelay(PostgresEventBus bus, String subscriptionName, Supplier<RedisStreamPublisher> publisher) {
        super(bus, subscriptionName, publisher);
    }

    /**
     * Starts relaying {@code bus}'s events to the stream {@link RedisConfig#streamName()} on {@link
     * RedisConfig#url()}, trimmed to about {@link RedisConfig#maxStreamLength()} entries (0: no trimming), with at most
     * {@link RedisConfig#poolSize()} connections. The consumer group of the settings is the consumers' business
     * ({@link RedisStreamConsumer}), not the relay's.
     *
     * @param bus the bus whose committed events are relayed
     * @param settings the Redis URL, stream key and trimming
     * @param subscriptionName the durable subscription's name: keep it across restarts, so the relay resumes
     * @return the running relay; close it to stop
     * @throws IllegalArgumentException if the name is not a valid subscription name
     * @throws IllegalStateException if {@code bus} already runs a subscription of that name, or is closed
     */
    public static RedisRelay start(PostgresEventBus bus, RedisConfig settings, String subscriptionName) {
        requireNonNull(settings, "settings");
        return new RedisRelay(
                bus,
                subscriptionName,
                () -> RedisStreamPublisher.builder(settings.url())
                        .streamKey(settings.streamName())
                        .maxLength(settings.maxStreamLength())
                        .poolSize(settings.poolSize())
                        .build());
    }

    /** {@return the key of the stream events are relayed to} */
    public String streamKey() {
        return publisher().streamKey();
    }
}
