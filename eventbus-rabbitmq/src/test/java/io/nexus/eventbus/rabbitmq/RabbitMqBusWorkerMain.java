package io.nexus.eventbus.rabbitmq;

import io.nexus.eventbus.relay.BrokerBusWorker;

/** The second JVM of {@link RabbitMqEventBusTest}: arguments as {@link BrokerBusWorker}, then the URI and exchange. */
public final class RabbitMqBusWorkerMain {
    private RabbitMqBusWorkerMain() {}

    public static void main(String[] args) throws Exception {
        BrokerBusWorker.run(
                args,
                transport -> RabbitMqTransport.builder(transport.get(0))
                        .exchange(transport.get(1))
                        .build());
    }
}
