package io.nexus.eventbus.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventbus.RedisConfig;
import io.nexus.eventbus.relay.BrokerRelayContract;
import io.nexus.eventbus.relay.TestBroker;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.spi.PersonalDataKeys;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.resps.StreamEntry;

@PostgresTest
class RedisRelayTest extends BrokerRelayContract<RedisRelay> {
    private String url;
    private String streamKey;
    private RedisClient redis;
    private final List<RedisStreamConsumer> consumers = new ArrayList<>();

    RedisRelayTest(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void connect() {
        url = TestBroker.REDIS.url();
        streamKey = TestBroker.REDIS.uniqueName("relay");
        redis = RedisClient.create(URI.create(url));
    }

    @AfterEach
    void cleanUp() {
        consumers.forEach(RedisStreamConsumer::close);
        if (redis != null) {
            redis.del(streamKey);
            redis.close();
        }
    }

    @Override
    protected RedisRelay startRelay(PostgresEventBus bus, String subscriptionName) {
        return RedisRelay.start(bus, RedisConfig.fromUrl(url).withStream(streamKey, "readers", 0), subscriptionName);
    }

    @Override
    protected Set<String> relayedIds() {
        return new HashSet<>(fieldOfEveryEntry(RedisStreamPublisher.FIELD_EVENT_ID));
    }

    private List<String> fieldOfEveryEntry(String field) {
        List<String> values = new ArrayList<>();
        for (StreamEntry entry : redis.xrange(streamKey, "-", "+")) {
            values.add(entry.getFields().get(field));
        }
        return values;
    }

    @Override
    protected List<String> relayedBodies() {
        return fieldOfEveryEntry(RedisStreamPublisher.FIELD_ENVELOPE);
    }

    @Override
    protected void startConsumer(String name, EventTypeRegistry types, PersonalDataKeys keys, EventListener listener) {
        RedisStreamConsumer consumer = RedisStreamConsumer.builder(url, name, "c1")
                .streamKey(streamKey)
                .blockTimeout(Duration.ofMillis(100))
                .claimIdleTime(Duration.ofSeconds(1))
                .typeRegistry(types)
                .personalDataKeys(keys)
                .build();
        consumers.add(consumer);
        consumer.start(listener);
    }

    @Override
    protected void assertDestination(RedisRelay relay) {
        assertThat(relay.streamKey()).isEqualTo(streamKey);
    }
}
