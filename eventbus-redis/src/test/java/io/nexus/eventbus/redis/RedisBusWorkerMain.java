package io.nexus.eventbus.redis;

import io.nexus.eventbus.relay.BrokerBusWorker;

/** The second JVM of {@link RedisEventBusTest}: arguments as {@link BrokerBusWorker}, then the Redis URL and prefix. */
public final class RedisBusWorkerMain {
    private RedisBusWorkerMain() {}

    public static void main(String[] args) throws Exception {
        BrokerBusWorker.run(
                args,
                transport -> RedisTransport.builder(transport.get(0))
                        .channelPrefix(transport.get(1))
                        .build());
    }
}
