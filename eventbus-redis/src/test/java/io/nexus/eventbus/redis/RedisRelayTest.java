package io.nexus.eventbus.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventbus.NexusConfig;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.resps.StreamEntry;

@PostgresTest
@Timeout(60)
class RedisRelayTest {
    private static final int EVENTS = 50;

    private final TestDatabase database;

    RedisRelayTest(TestDatabase database) {
        this.database = database;
    }

    private static Set<String> relayedIds(RedisClient redis, String streamKey) {
        Set<String> ids = new HashSet<>();
        for (StreamEntry entry : redis.xrange(streamKey, "-", "+")) {
            ids.add(entry.getFields().get(RedisStreamPublisher.FIELD_EVENT_ID));
        }
        return ids;
    }

    @Test
    void every_committed_event_reaches_the_stream_through_a_durable_subscription() throws Exception {
        String url = RedisTestSupport.redisUrl();
        String streamKey = RedisTestSupport.uniqueKey("relay");
        NexusConfig.Redis settings = new NexusConfig.Redis(url, streamKey, "readers", 0);
        Set<String> emitted = new HashSet<>();
        try (RedisClient redis = RedisClient.create(URI.create(url));
                PostgresEventBus bus = PostgresEventBus.builder(database.dataSource())
                        .schema(database.schema())
                        .flushInterval(Duration.ofMillis(20))
                        .build()) {
            for (int i = 0; i < EVENTS / 2; i++) {
                NewEvent event = NewEvent.of("relay.before", "{\"n\":" + i + "}");
                bus.emit(event);
                emitted.add(event.eventId().toString());
            }

            try (RedisRelay relay = RedisRelay.start(bus, settings, "redis-relay-" + UUID.randomUUID())) {
                for (int i = 0; i < EVENTS / 2; i++) {
                    NewEvent event = NewEvent.of("relay.after", "{\"n\":" + i + "}");
                    bus.emit(event);
                    emitted.add(event.eventId().toString());
                }
                RedisTestSupport.await("all events in the stream", Duration.ofSeconds(30),
                        () -> relayedIds(redis, streamKey).size() >= EVENTS);

                assertThat(relay.streamKey()).isEqualTo(streamKey);
                assertThat(relayedIds(redis, streamKey)).hasSize(EVENTS).isEqualTo(emitted);
            } finally {
                redis.del(streamKey);
            }
        }
    }
}
