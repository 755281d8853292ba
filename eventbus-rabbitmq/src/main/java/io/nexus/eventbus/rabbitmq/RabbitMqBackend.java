package io.nexus.eventbus.rabbitmq;

import io.nexus.eventbus.BrokerBackend;
import io.nexus.eventbus.BrokerTransport;
import io.nexus.eventbus.NexusConfig;
import io.nexus.eventbus.RabbitMqConfig;
import java.util.Optional;

/**
 * Gives {@link io.nexus.eventbus.EventBuses} the {@link RabbitMqTransport} of {@code backend: rabbitmq}; registered
 * with {@link java.util.ServiceLoader}. Not for applications.
 */
public final class RabbitMqBackend implements BrokerBackend {
    /** For {@link java.util.ServiceLoader}. */
    public RabbitMqBackend() {}

    @Override
    public NexusConfig.Backend backend() {
        return NexusConfig.Backend.RABBITMQ;
    }

    @Override
    public BrokerTransport transport(NexusConfig config) {
        RabbitMqConfig rabbitMq = Optional.ofNullable(config.rabbitMq())
                .orElseThrow(() -> new IllegalArgumentException("backend rabbitmq needs a rabbitmq: section"));
        return RabbitMqTransport.builder(rabbitMq.url())
                .exchange(rabbitMq.exchange())
                .build();
    }
}
