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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

    @Test
    void pool_size_sizes_every_jedis_pool_and_more_concurrent_emits_than_connections_wait_for_one() throws Exception {
        String url = TestBroker.REDIS.url();
        String prefix = "pool-test-" + UUID.randomUUID().toString().substring(0, 8);
        NexusConfig config = NexusConfig.fromYaml("""
                events:
                  backend: redis
                  redis:
                    url: %s
                    pool_size: 2
                    channel_prefix: %s
                    stream_name: %s
                    max_stream_length: 1000
                """.formatted(url, prefix, prefix + ":stream"), Map.of());
        int threads = 8;
        int perThread = 50;

        try (RedisTransport transport = (RedisTransport) new RedisBackend().transport(config)) {
            assertThat(transport.publishPoolMaxTotal()).isEqualTo(2);
            assertThat(transport.streamPoolMaxTotal()).isEqualTo(2);
        }
        try (EventBus bus = EventBuses.create(config)) {
            Set<UUID> received = ConcurrentHashMap.newKeySet();
            bus.subscribe(prefix + ".*", event -> received.add(event.eventId()));
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> emitters = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                emitters.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        bus.emit(NewEvent.of(prefix + ".tick", RawJson.of("{}")));
                    }
                    return null;
                }));
            }
            for (Future<?> emitter : emitters) {
                emitter.get(60, TimeUnit.SECONDS); // throws if any emit failed
            }
            pool.shutdown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (received.size() < threads * perThread && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }

            assertThat(received).hasSize(threads * perThread);
            try (RedisClient redis = RedisClient.create(URI.create(url))) {
                assertThat(redis.xlen(prefix + ":stream")).isEqualTo((long) threads * perThread);
                redis.del(prefix + ":stream");
            }
        }
    }
}
