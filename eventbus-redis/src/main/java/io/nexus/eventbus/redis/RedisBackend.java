package io.nexus.eventbus.redis;

import io.nexus.eventbus.BrokerBackend;
import io.nexus.eventbus.BrokerTransport;
import io.nexus.eventbus.NexusConfig;
import io.nexus.eventbus.RedisConfig;
import java.util.Optional;

/**
 * Gives {@link io.nexus.eventbus.EventBuses} the {@link RedisTransport} of {@code backend: redis}; registered with
 * {@link java.util.ServiceLoader}. Not for applications.
 */
public final class RedisBackend implements BrokerBackend {
    /** For {@link java.util.ServiceLoader}. */
    public RedisBackend() {}

    @Override
    public NexusConfig.Backend backend() {
        return NexusConfig.Backend.REDIS;
    }

    /**
     * The transport of the {@code redis:} block: Pub/Sub on {@code channel_prefix}; without {@code persist_events},
     * every event also appended to {@code stream_name} (trimmed to {@code max_stream_length}) for durable consumers
     * in {@code consumer_group} ({@link RedisStreamConsumer}); {@code pool_size} connections to publish on, plus one
     * for the subscription. With {@code persist_events: true} the PostgreSQL store is the durable copy, and no stream
     * is written. An empty {@code password} means none.
     */
    @Override
    public BrokerTransport transport(NexusConfig config) {
        RedisConfig redis = Optional.ofNullable(config.redis())
                .orElseThrow(() -> new IllegalArgumentException("backend redis needs a redis: block"));
        if ("".equals(redis.password())) {
            // The design's block reads password: "${REDIS_PASSWORD}"; set to nothing, it means no password (AUTH
            // with an empty password fails on a server without one).
            redis = new RedisConfig(
                    redis.host(),
                    redis.port(),
                    redis.username(),
                    null,
                    redis.database(),
                    redis.ssl(),
                    redis.poolSize(),
                    redis.channelPrefix(),
                    redis.streamName(),
                    redis.consumerGroup(),
                    redis.maxStreamLength());
        }
        RedisTransport.Builder builder = RedisTransport.builder(redis.url())
                .channelPrefix(redis.channelPrefix())
                .poolSize(redis.poolSize());
        if (!config.persistence()) {
            builder.streamName(redis.streamName()).maxStreamLength(redis.maxStreamLength());
        }
        return builder.build();
    }
}
