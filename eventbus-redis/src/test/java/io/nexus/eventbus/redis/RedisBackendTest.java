package io.nexus.eventbus.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventbus.BrokerEventBus;
import io.nexus.eventbus.EventBus;
import io.nexus.eventbus.EventBuses;
import io.nexus.eventbus.NexusConfig;
import io.nexus.eventbus.relay.TestBroker;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** The design's Redis block, verbatim, gives a bus whose events travel through Redis. */
class RedisBackendTest {

    private static String seedRedisBlock() throws Exception {
        try (InputStream in = Objects.requireNonNull(
                RedisBackendTest.class.getResourceAsStream("/io/nexus/eventbus/seed/redis-backend-configuration.yaml"),
                "the seed fixture")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void the_designs_redis_block_gives_a_broker_bus_shared_by_two_buses() throws Exception {
        TestBroker.REDIS.url(); // skips without the CI's Redis, which the block's localhost:6379 names
        NexusConfig config = NexusConfig.fromYaml(seedRedisBlock(), Map.of("REDIS_PASSWORD", ""));
        String type = "backend.test." + UUID.randomUUID().toString().substring(0, 8);

        try (EventBus emitter = EventBuses.create(config);
                EventBus receiver = EventBuses.create(config)) {
            CompletableFuture<RecordedEvent> received = receiver.waitFor(type, Duration.ofSeconds(20));
            NewEvent event = NewEvent.of(type, RawJson.of("{\"n\":1}"));
            emitter.emit(event);

            assertThat(received.get(30, TimeUnit.SECONDS).type()).isEqualTo(type);
            try (RedisClient redis = RedisClient.create(URI.create(TestBroker.REDIS.url()))) {
                // without persist_events, the design's stream_name is the durable copy for consumer groups
                assertThat(redis.xrevrange("nexus:event_stream", "+", "-", 100))
                        .anyMatch(entry -> entry.getFields()
                                .get(RedisTransport.FIELD_EVENT_ID)
                                .equals(event.eventId().toString()));
            }
            assertThat(emitter).isInstanceOf(BrokerEventBus.class);
            assertThat(((BrokerEventBus) emitter).persistent()).isFalse();
            assertThat(((BrokerEventBus) emitter).broker()).isEqualTo("Redis at localhost:6379");
        }
    }
}
