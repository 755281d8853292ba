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
        NexusConfig config = NexusConfig.fromYaml(FULL, Map.of("DB_URL", "jdbc:postgresql://db:5432/shop", "REDIS_HOST", "cache"));

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
        assertThat(config.postgres()).isEqualTo(new NexusConfig.Postgres("jdbc:postgresql://db:5432/shop", "nexus", "", "shop"));
        assertThat(config.redis()).isEqualTo(new NexusConfig.Redis("redis://cache:6379", "shop-events", "billing", 100_000));
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
                .hasMessageContaining("nexus.postgres.url").hasMessageContaining("${DB_URL}");
    }

    @Test
    void a_variable_cannot_change_the_structure_of_the_file() {
        String yaml = "nexus:\n  backend: memory\n  persistence: false\n  worker_count: ${WORKERS}\n";

        assertThatThrownBy(() -> NexusConfig.fromYaml(yaml, Map.of("WORKERS", "2\n  retry_attempts: 99")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nexus.worker_count");
    }

    @Test
    void bad_values_and_unknown_keys_are_refused_with_the_key_named() {
        assertThatThrownBy(() -> NexusConfig.fromYaml("nexus:\n  backend: memory\n  workers: 3\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown key").hasMessageContaining("workers");
        assertThatThrownBy(() -> NexusConfig.fromYaml("nexus:\n  backend: kafka\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'kafka'");
        assertThatThrownBy(() -> NexusConfig.fromYaml("nexus:\n  backend: memory\n  retry_delay: soon\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nexus.retry_delay").hasMessageContaining("'soon'");
        assertThatThrownBy(() -> NexusConfig.fromYaml("nexus:\n  backend: memory\n  worker_count: 0\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NexusConfig.fromYaml("nexus:\n  backend: postgres\n", Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("postgres:");
        assertThatThrownBy(() -> NexusConfig.fromYaml("""
                        nexus:
                          backend: postgres
                          persistence: false
                          postgres:
                            url: jdbc:postgresql://x/y
                        """, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("persistence");
        assertThatThrownBy(() -> NexusConfig.fromYaml("just: [a, list", Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("YAML");
    }
}
