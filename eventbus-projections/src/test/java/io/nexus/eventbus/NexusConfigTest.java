package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NexusConfigTest {
    /** The seed design's "Event Bus Configuration" block, copied verbatim. */
    static final String SEED_EVENTS = resource("seed/event-bus-configuration.yaml");
    /** The seed design's "Redis Backend Configuration" block, copied verbatim. */
    static final String SEED_REDIS = resource("seed/redis-backend-configuration.yaml");

    private static final String OLDER_SPELLING = """
            nexus:
              backend: redis
              max_queue_size: 10000
              worker_count: 4
              retry_attempts: 5
              retry_delay: 250ms
              exponential_backoff: false
              batch_size: 50
              flush_interval: PT0.5S
              retention_days: 30
              metrics: false
              tracing: off
              postgres:
                url: ${DB_URL}
                user: ${DB_USER:-nexus}
                password: ${DB_PASSWORD:-}
                schema: shop
              redis:
                url: redis://${REDIS_HOST:-localhost}:6379
                stream: shop-events
                consumer_group: billing
                max_length: 100000
            """;

    static String resource(String name) {
        try (InputStream in = Objects.requireNonNull(NexusConfigTest.class.getResourceAsStream(name), name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void the_seed_designs_event_bus_block_loads_as_written_and_every_key_is_read() {
        NexusConfig config = NexusConfig.fromYaml(SEED_EVENTS, Map.of());

        assertThat(config.backend()).isEqualTo(NexusConfig.Backend.MEMORY);
        assertThat(config.bus().maxQueueSize()).isEqualTo(10_000);
        assertThat(config.bus().workerCount()).isEqualTo(4);
        assertThat(config.bus().retryAttempts()).isEqualTo(3);
        assertThat(config.bus().retryDelay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.bus().exponentialBackoff()).isTrue();
        assertThat(config.persistence()).isFalse();
        assertThat(config.retentionDays()).isEqualTo(30);
        assertThat(config.bus().batchSize()).isEqualTo(100);
        assertThat(config.bus().flushInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.bus().metricsEnabled()).isTrue();
        assertThat(config.tracing()).isTrue();
        assertThat(config.inactiveSettings())
                .containsExactly(
                        "event_retention_days (30): persist_events is false, no event is kept",
                        "flush_interval (PT1S): backend memory reads no store");
    }

    @Test
    void the_seed_designs_redis_block_loads_as_written_with_the_password_from_the_environment() {
        NexusConfig config = NexusConfig.fromYaml(SEED_REDIS, Map.of("REDIS_PASSWORD", "s3cret"));

        assertThat(config.backend()).isEqualTo(NexusConfig.Backend.REDIS);
        assertThat(config.persistence()).isFalse();
        assertThat(config.redis())
                .isEqualTo(new RedisConfig(
                        "localhost",
                        6379,
                        null,
                        "s3cret",
                        0,
                        false,
                        10,
                        "nexus:events",
                        "nexus:event_stream",
                        "nexus:processors",
                        100_000));
        assertThat(config.redis().url()).isEqualTo("redis://:s3cret@localhost:6379/0");
        assertThat(config.toString()).doesNotContain("s3cret");
    }

    @Test
    void the_redis_block_without_its_password_variable_names_the_key_and_the_variable() {
        assertThatThrownBy(() -> NexusConfig.fromYaml(SEED_REDIS, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("events.redis.password uses ${REDIS_PASSWORD}, but the environment variable is not set"
                        + " (use ${REDIS_PASSWORD:-default} for a default)");
    }

    @Test
    void the_older_nexus_spelling_still_loads() {
        NexusConfig config = NexusConfig.fromYaml(
                OLDER_SPELLING, Map.of("DB_URL", "jdbc:postgresql://db:5432/shop", "REDIS_HOST", "cache"));

        assertThat(config.backend()).isEqualTo(NexusConfig.Backend.REDIS);
        assertThat(config.bus().retryDelay()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.bus().flushInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.bus().metricsEnabled()).isFalse();
        assertThat(config.retentionDays()).isEqualTo(30);
        assertThat(config.tracing()).isFalse();
        assertThat(config.persistence()).isTrue();
        assertThat(config.postgres())
                .isEqualTo(new PostgresConfig(
                        "jdbc:postgresql://db:5432/shop",
                        "nexus",
                        "",
                        "shop",
                        10,
                        PostgresConfig.Notifications.LISTEN,
                        null,
                        true));
        assertThat(config.redis().url()).isEqualTo("redis://cache:6379/0");
        assertThat(config.redis().streamName()).isEqualTo("shop-events");
        assertThat(config.redis().consumerGroup()).isEqualTo("billing");
        assertThat(config.redis().maxStreamLength()).isEqualTo(100_000);
    }

    @Test
    void the_postgresql_and_rabbitmq_blocks_read_every_key() {
        NexusConfig config = NexusConfig.fromYaml("""
                events:
                  backend: rabbitmq
                  persist_events: true
                  event_store_backend: postgresql
                  postgresql:
                    jdbc_url: jdbc:postgresql://db:5432/shop
                    user: app
                    password: ${DB_PASSWORD}
                    schema: shop
                    pool_size: 4
                    notifications: listen
                    listen_url: jdbc:postgresql://db-direct:5432/shop
                    auto_commit: false
                  rabbitmq:
                    host: mq
                    port: 5673
                    username: app
                    password: ${MQ_PASSWORD:-guest}
                    virtual_host: shop
                    ssl: true
                    exchange: shop.events
                    queue_prefix: billing
                """, Map.of("DB_PASSWORD", "pg-secret"));

        assertThat(config.postgres())
                .isEqualTo(new PostgresConfig(
                        "jdbc:postgresql://db:5432/shop",
                        "app",
                        "pg-secret",
                        "shop",
                        4,
                        PostgresConfig.Notifications.LISTEN,
                        "jdbc:postgresql://db-direct:5432/shop",
                        false));
        assertThat(config.rabbitMq())
                .isEqualTo(new RabbitMqConfig("mq", 5673, "app", "guest", "shop", true, "shop.events", "billing"));
        assertThat(config.rabbitMq().url()).isEqualTo("amqps://app:guest@mq:5673/shop");
        assertThat(config.toString()).doesNotContain("pg-secret").doesNotContain("guest@");
    }

    @Test
    void a_broker_url_is_an_alternative_to_host_and_port() {
        RedisConfig redis = RedisConfig.fromUrl("rediss://ops:p%40ss@cache:6380/2");
        RabbitMqConfig rabbit = RabbitMqConfig.fromUrl("amqp://guest:guest@127.0.0.1:5672/");

        assertThat(redis.host()).isEqualTo("cache");
        assertThat(redis.port()).isEqualTo(6380);
        assertThat(redis.username()).isEqualTo("ops");
        assertThat(redis.password()).isEqualTo("p@ss");
        assertThat(redis.database()).isEqualTo(2);
        assertThat(redis.ssl()).isTrue();
        assertThat(redis.url()).isEqualTo("rediss://ops:p%40ss@cache:6380/2");
        assertThat(rabbit.url()).isEqualTo("amqp://guest:guest@127.0.0.1:5672/%2F");
        assertThat(rabbit.virtualHost()).isEqualTo("/");
        assertThatThrownBy(() -> NexusConfig.fromYaml(
                        "events:\n  backend: redis\n  redis:\n    url: redis://x:6379\n    host: y\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("events.redis has both url and host");
    }

    @Test
    void durations_are_seconds_by_default_and_take_units() {
        Map<String, Duration> cases = Map.of(
                "1", Duration.ofSeconds(1),
                "1.0", Duration.ofSeconds(1),
                "0.25", Duration.ofMillis(250),
                "250ms", Duration.ofMillis(250),
                "2s", Duration.ofSeconds(2),
                "1m", Duration.ofMinutes(1),
                "1h", Duration.ofHours(1),
                "PT0.5S", Duration.ofMillis(500));

        cases.forEach((text, expected) -> assertThat(
                        NexusConfig.fromYaml("events:\n  backend: memory\n  flush_interval: " + text + "\n", Map.of())
                                .bus()
                                .flushInterval())
                .as(text)
                .isEqualTo(expected));
    }

    @Test
    void a_file_is_read_from_disk(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("nexus.yaml");
        Files.writeString(file, SEED_EVENTS);

        NexusConfig config = NexusConfig.fromYaml(file);

        assertThat(config.backend()).isEqualTo(NexusConfig.Backend.MEMORY);
        assertThat(config.bus().workerCount()).isEqualTo(4);
    }

    @Test
    void a_variable_cannot_change_the_structure_of_the_file() {
        String yaml = "events:\n  backend: memory\n  worker_count: ${WORKERS}\n";

        assertThatThrownBy(() -> NexusConfig.fromYaml(yaml, Map.of("WORKERS", "2\n  retry_attempts: 99")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("events.worker_count");
    }

    @Test
    void each_problem_is_one_error_naming_the_key_the_value_and_what_was_expected() {
        Map<String, String> refused = Map.ofEntries(
                Map.entry(
                        "events:\n  backend: memory\n  workers: 3\n",
                        "events has unknown key(s) [workers]; known keys are [backend, max_queue_size,"),
                Map.entry(
                        "events:\n  backend: kafka\n",
                        "events.backend is 'kafka', but it must be one of memory, postgres, redis, rabbitmq"),
                Map.entry(
                        "events:\n  backend: memory\n  retry_delay: soon\n",
                        "events.retry_delay is 'soon', but it must be seconds (1.0, 0.25) or a duration"),
                Map.entry(
                        "events:\n  backend: memory\n  worker_count: 0\n",
                        "events.worker_count: workerCount must be 1 to 1024, was 0"),
                Map.entry(
                        "events:\n  backend: memory\n  batch_size: lots\n",
                        "events.batch_size is 'lots', but it must be a whole number"),
                Map.entry(
                        "events:\n  backend: memory\n  enable_metrics: maybe\n",
                        "events.enable_metrics is 'maybe', but it must be true or false"),
                Map.entry(
                        "events:\n  backend: memory\n  event_store_backend: mysql\n",
                        "events.event_store_backend is 'mysql', but it must be postgresql"),
                Map.entry(
                        "events:\n  backend: postgres\n",
                        "events.persist_events is true (backend postgres), but there is no postgresql: block"),
                Map.entry("events:\n  backend: redis\n", "events.backend redis needs a redis: block"),
                Map.entry(
                        "events:\n  backend: memory\n  persist_events: true\n  postgresql:\n    jdbc_url: jdbc:postgresql://x/y\n",
                        "events.persist_events is true, but the memory backend keeps nothing"),
                Map.entry(
                        "events:\n  backend: postgres\n  persist_events: false\n",
                        "events.persist_events is false, but backend postgres always keeps events"),
                Map.entry(
                        "events:\n  backend: redis\n  redis:\n    port: 70000\n",
                        "events.redis.port must be 1 to 65535, was 70000"),
                Map.entry(
                        "events:\n  backend: postgres\n  postgresql:\n    jdbc_url: jdbc:postgresql://x/y\n    notifications: push\n",
                        "events.postgresql.notifications is 'push', but it must be one of listen, listen_on_pool, poll"),
                Map.entry(
                        "events:\n  backend: memory\n  persistence: false\n  persist_events: false\n",
                        "events has both persist_events and its older name persistence; keep one"),
                Map.entry(
                        "events:\n  backend: memory\nnexus:\n  backend: memory\n",
                        "the configuration has both 'events:' and the older 'nexus:' section"),
                Map.entry("just: [a, list", "the configuration is not valid YAML"));

        refused.forEach((yaml, message) -> assertThatThrownBy(() -> NexusConfig.fromYaml(yaml, Map.of()))
                .as(yaml)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message));
    }

    @Test
    void a_duplicate_key_is_refused_with_its_name_and_line() {
        assertThatThrownBy(() -> NexusConfig.fromYaml(
                        "events:\n  backend: memory\n  worker_count: 2\n  worker_count: 3\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 4")
                .hasMessageContaining("Duplicate field 'worker_count'");
    }

    @Test
    void no_error_and_no_to_string_shows_a_password() {
        String badUrl =
                "events:\n  backend: postgres\n  postgresql:\n    jdbc_url: postgresql://db/x?password=hunter2\n";
        String badRedis = "events:\n  backend: redis\n  redis:\n    url: http://:hunter2@cache:6379\n";
        String listPassword = "events:\n  backend: redis\n  redis:\n    password: [hunter2]\n";

        for (String yaml : new String[] {badUrl, badRedis, listPassword}) {
            assertThatThrownBy(() -> NexusConfig.fromYaml(yaml, Map.of()))
                    .as(yaml)
                    .isInstanceOf(IllegalArgumentException.class)
                    .message()
                    .doesNotContain("hunter2");
        }
        assertThat(new PostgresConfig(
                                "jdbc:postgresql://db/x?user=a&password=hunter2",
                                "a",
                                "hunter2",
                                "nexus",
                                10,
                                PostgresConfig.Notifications.POLL,
                                null,
                                true)
                        .toString())
                .doesNotContain("hunter2");
        assertThat(RedisConfig.fromUrl("redis://:hunter2@cache:6379").toString())
                .doesNotContain("hunter2");
        assertThat(RabbitMqConfig.fromUrl("amqp://u:hunter2@mq/").toString()).doesNotContain("hunter2");
    }

    @Test
    void a_memory_backend_refuses_each_retry_key_it_would_ignore() {
        Map<String, String> refused = Map.of(
                "retry_attempts: 5", "events.retry_attempts (retryAttempts) is 5",
                "retry_delay: 250ms", "events.retry_delay (retryDelay) is PT0.25S",
                "exponential_backoff: false", "events.exponential_backoff (exponentialBackoff) is false");

        refused.forEach((line, message) -> assertThatThrownBy(
                        () -> NexusConfig.fromYaml("events:\n  backend: memory\n  " + line + "\n", Map.of()))
                .as(line)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message)
                .hasMessageContaining("the memory bus (backend memory) cannot honour it")
                .hasMessageContaining("leave it at its default"));
    }

    @Test
    void the_seed_block_drives_a_working_memory_bus() throws Exception {
        try (EventBus bus = EventBuses.create(NexusConfig.fromYaml(SEED_EVENTS, Map.of()))) {
            var received = bus.waitFor("user.*", Duration.ofSeconds(10));

            bus.emit(io.nexus.eventstore.core.NewEvent.of("user.registered", "{\"name\":\"ada\"}"));

            assertThat(received.get().type()).isEqualTo("user.registered");
        }
    }
}
