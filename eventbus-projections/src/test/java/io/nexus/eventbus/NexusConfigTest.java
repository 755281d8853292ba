package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NexusConfigTest {
    private static final String FULL = """
            nexus:
              backend: redis
              max_queue_size: 500
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

    @Test
    void every_seed_key_is_read_with_environment_substitution() {
        NexusConfig config =
                NexusConfig.fromYaml(FULL, Map.of("DB_URL", "jdbc:postgresql://db:5432/shop", "REDIS_HOST", "cache"));

        assertThat(config.backend()).isEqualTo(NexusConfig.Backend.REDIS);
        assertThat(config.bus().maxQueueSize()).isEqualTo(500);
        assertThat(config.bus().workerCount()).isEqualTo(4);
        assertThat(config.bus().retryAttempts()).isEqualTo(5);
        assertThat(config.bus().retryDelay()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.bus().exponentialBackoff()).isFalse();
        assertThat(config.bus().batchSize()).isEqualTo(50);
        assertThat(config.bus().flushInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.bus().metricsEnabled()).isFalse();
        assertThat(config.retentionDays()).isEqualTo(30);
        assertThat(config.tracing()).isFalse();
        assertThat(config.persistence()).isTrue();
        assertThat(config.postgres())
                .isEqualTo(new NexusConfig.Postgres("jdbc:postgresql://db:5432/shop", "nexus", "", "shop"));
        assertThat(config.redis())
                .isEqualTo(new NexusConfig.Redis("redis://cache:6379", "shop-events", "billing", 100_000));
    }

    @Test
    void a_file_is_read_from_disk(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("nexus.yaml");
        Files.writeString(file, "nexus:\n  backend: memory\n  persistence: false\n  worker_count: 2\n");

        NexusConfig config = NexusConfig.fromYaml(file);

        assertThat(config.backend()).isEqualTo(NexusConfig.Backend.MEMORY);
        assertThat(config.bus().workerCount()).isEqualTo(2);
        assertThat(config.persistence()).isFalse();
    }

    @Test
    void a_missing_variable_without_default_is_named() {
        assertThatThrownBy(() -> NexusConfig.fromYaml(FULL, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nexus.postgres.url")
                .hasMessageContaining("${DB_URL}");
    }

    @Test
    void a_variable_cannot_change_the_structure_of_the_file() {
        String yaml = "nexus:\n  backend: memory\n  persistence: false\n  worker_count: ${WORKERS}\n";

        assertThatThrownBy(() -> NexusConfig.fromYaml(yaml, Map.of("WORKERS", "2\n  retry_attempts: 99")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nexus.worker_count");
    }

    @Test
    void bad_values_and_unknown_keys_are_refused_with_the_key_named() {
        assertThatThrownBy(() -> NexusConfig.fromYaml("nexus:\n  backend: memory\n  workers: 3\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown key")
                .hasMessageContaining("workers");
        assertThatThrownBy(() -> NexusConfig.fromYaml("nexus:\n  backend: kafka\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'kafka'");
        assertThatThrownBy(() -> NexusConfig.fromYaml("nexus:\n  backend: memory\n  retry_delay: soon\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nexus.retry_delay")
                .hasMessageContaining("'soon'");
        assertThatThrownBy(() -> NexusConfig.fromYaml("nexus:\n  backend: memory\n  worker_count: 0\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NexusConfig.fromYaml("nexus:\n  backend: postgres\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("postgres:");
        assertThatThrownBy(() -> NexusConfig.fromYaml("""
                        nexus:
                          backend: postgres
                          persistence: false
                          postgres:
                            url: jdbc:postgresql://x/y
                        """, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("persistence");
        assertThatThrownBy(() -> NexusConfig.fromYaml("just: [a, list", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("YAML");
    }

    @Test
    void a_memory_backend_refuses_persistence_and_retention_it_cannot_give() {
        assertThatThrownBy(() -> NexusConfig.fromYaml("nexus:\n  backend: memory\n  persistence: true\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("persistence: true")
                .hasMessageContaining("memory backend keeps nothing");
        assertThatThrownBy(() -> NexusConfig.fromYaml("nexus:\n  backend: memory\n  retention_days: 7\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retention_days is 7")
                .hasMessageContaining("leave it at 0");
    }

    @Test
    void a_memory_backend_refuses_each_retry_batch_and_polling_key_it_would_ignore() {
        Map<String, String> refused = Map.of(
                "retry_attempts: 5", "retry_attempts (retryAttempts) is 5",
                "retry_delay: 250ms", "retry_delay (retryDelay) is PT0.25S",
                "exponential_backoff: false", "exponential_backoff (exponentialBackoff) is false",
                "batch_size: 50", "batch_size (batchSize) is 50",
                "flush_interval: 1s", "flush_interval (flushInterval) is PT1S");

        refused.forEach((line, message) -> assertThatThrownBy(
                        () -> NexusConfig.fromYaml("nexus:\n  backend: memory\n  " + line + "\n", Map.of()))
                .as(line)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message)
                .hasMessageContaining("the memory bus (backend memory) cannot honour it")
                .hasMessageContaining("leave it at its default"));
    }

    @Test
    void a_memory_backend_accepts_those_keys_at_their_defaults_and_the_queue_keys_at_any_value() {
        NexusConfig config = NexusConfig.fromYaml("""
                nexus:
                  backend: memory
                  retry_attempts: 3
                  retry_delay: 1s
                  exponential_backoff: true
                  batch_size: 100
                  flush_interval: 100ms
                  max_queue_size: 20
                  emit_timeout: 2s
                """, Map.of());

        assertThat(config.bus().maxQueueSize()).isEqualTo(20);
        assertThat(config.bus().emitTimeout()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void a_memory_configuration_made_in_code_is_checked_as_the_yaml_one() {
        assertThatThrownBy(() -> new NexusConfig(
                        NexusConfig.Backend.MEMORY,
                        BusConfig.builder().batchSize(5).build(),
                        false,
                        NexusConfig.DEFAULT_RETENTION_DAYS,
                        true,
                        null,
                        null,
                        null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("batch_size (batchSize) is 5");
    }
}
