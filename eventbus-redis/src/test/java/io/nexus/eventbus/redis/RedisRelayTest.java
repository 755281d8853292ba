package io.nexus.eventbus.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventbus.RedisConfig;
import io.nexus.eventbus.relay.BrokerRelayContract;
import io.nexus.eventbus.relay.TestBroker;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.net.URI;
import java.util.HashSet;
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
        Set<String> ids = new HashSet<>();
        for (StreamEntry entry : redis.xrange(streamKey, "-", "+")) {
            ids.add(entry.getFields().get(RedisStreamPublisher.FIELD_EVENT_ID));
        }
        return ids;
    }

    @Override
    protected void assertDestination(RedisRelay relay) {
        assertThat(relay.streamKey()).isEqualTo(streamKey);
    }
}
