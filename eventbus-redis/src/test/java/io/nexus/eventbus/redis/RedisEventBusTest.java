package io.nexus.eventbus.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventbus.BrokerTransport;
import io.nexus.eventbus.relay.BrokerBusContract;
import io.nexus.eventbus.relay.TestBroker;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import redis.clients.jedis.RedisClient;

/** The broker bus over Redis Pub/Sub, against the Redis of {@code NEXUS_TEST_REDIS_URL}. */
@PostgresTest
class RedisEventBusTest extends BrokerBusContract {
    private final String url = TestBroker.REDIS.url();
    private final String prefix = TestBroker.REDIS.uniqueName("bus");

    RedisEventBusTest(TestDatabase database) {
        super(database);
    }

    @AfterEach
    void removeDeadLetters() {
        try (RedisClient redis = RedisClient.create(URI.create(url))) {
            redis.del(prefix + ":dead-letters");
        }
    }

    @Override
    protected BrokerTransport transport(EventTypeRegistry types) {
        return RedisTransport.builder(url)
                .channelPrefix(prefix)
                .typeRegistry(types)
                .build();
    }

    @Override
    protected List<String> workerTransportArguments() {
        return List.of(url, prefix);
    }

    @Override
    protected Class<?> workerMain() {
        return RedisBusWorkerMain.class;
    }

    @Override
    protected long deadLetterCount() {
        try (RedisClient redis = RedisClient.create(URI.create(url))) {
            return redis.xlen(prefix + ":dead-letters");
        }
    }

    /** {@code redis-cli shutdown nosave}, then the CI's {@code redis-server} command line; always started again. */
    @Override
    protected void restartBroker() throws Exception {
        try {
            run("redis-cli", "-p", "6379", "shutdown", "nosave");
        } finally {
            run(
                    "redis-server",
                    "--daemonize",
                    "yes",
                    "--bind",
                    "127.0.0.1",
                    "-::1",
                    "--port",
                    "6379",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    "/var/lib/redis",
                    "--logfile",
                    "/var/log/redis/ci.log");
            TestBroker.await("Redis to answer again", Duration.ofSeconds(30), () -> {
                try (RedisClient redis = RedisClient.create(URI.create(url))) {
                    return "PONG".equals(redis.ping());
                } catch (RuntimeException e) {
                    return false;
                }
            });
        }
    }

    static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).inheritIO().start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS))
                .as(String.join(" ", command))
                .isTrue();
    }

    /**
     * Pub/Sub keeps nothing: the events published while the worker's subscription was reconnecting are lost to it.
     * How many depends on timing, so the number is printed and only bounded here.
     */
    @Override
    protected void assertLossesWithoutPersistence(int lost, Run run) {
        assertThat(lost).isBetween(0, run.emitted());
    }
}
