package io.nexus.eventbus.redis;

import io.nexus.eventbus.BrokerBackend;
import io.nexus.eventbus.BrokerTransport;
import io.nexus.eventbus.NexusConfig;
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

    @Override
    public BrokerTransport transport(NexusConfig config) {
        NexusConfig.Redis redis = Optional.ofNullable(config.redis())
                .orElseThrow(() -> new IllegalArgumentException("backend redis needs a redis: section"));
        return RedisTransport.builder(redis.url())
                .streamName(redis.stream())
                .maxStreamLength(redis.maxLength())
                .build();
    }
}
