package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BusConfigTest {

    @Test
    void the_defaults_are_the_documented_constants() {
        BusConfig config = BusConfig.defaults();

        assertThat(config.maxQueueSize()).isEqualTo(BusConfig.DEFAULT_MAX_QUEUE_SIZE);
        assertThat(config.workerCount()).isEqualTo(BusConfig.DEFAULT_WORKER_COUNT);
        assertThat(config.emitTimeout()).isEqualTo(BusConfig.DEFAULT_EMIT_TIMEOUT);
        assertThat(config.retryAttempts()).isEqualTo(BusConfig.DEFAULT_RETRY_ATTEMPTS);
        assertThat(config.retryDelay()).isEqualTo(BusConfig.DEFAULT_RETRY_DELAY);
        assertThat(config.exponentialBackoff()).isEqualTo(BusConfig.DEFAULT_EXPONENTIAL_BACKOFF);
        assertThat(config.batchSize()).isEqualTo(BusConfig.DEFAULT_BATCH_SIZE);
        assertThat(config.flushInterval()).isEqualTo(BusConfig.DEFAULT_FLUSH_INTERVAL);
        assertThat(config.metricsEnabled()).isEqualTo(BusConfig.DEFAULT_METRICS_ENABLED);
    }

    @Test
    void to_builder_keeps_every_value() {
        BusConfig config = BusConfig.builder()
                .maxQueueSize(7)
                .workerCount(3)
                .emitTimeout(Duration.ZERO)
                .retryAttempts(0)
                .retryDelay(Duration.ofMillis(5))
                .exponentialBackoff(false)
                .batchSize(9)
                .flushInterval(Duration.ofSeconds(2))
                .metricsEnabled(false)
                .build();

        assertThat(config.toBuilder().build()).isEqualTo(config);
    }

    @Test
    void each_bad_value_is_refused_by_its_setter_quoting_it() {
        BusConfig.Builder builder = BusConfig.builder();

        assertThatThrownBy(() -> builder.maxQueueSize(0))
                .hasMessageContaining("maxQueueSize")
                .hasMessageContaining("0");
        assertThatThrownBy(() -> builder.workerCount(0))
                .hasMessageContaining("workerCount")
                .hasMessageContaining("0");
        assertThatThrownBy(() -> builder.workerCount(1025)).hasMessageContaining("1025");
        assertThatThrownBy(() -> builder.emitTimeout(Duration.ofMillis(-1))).hasMessageContaining("PT-0.001S");
        assertThatThrownBy(() -> builder.retryAttempts(-1)).hasMessageContaining("retryAttempts");
        assertThatThrownBy(() -> builder.retryDelay(Duration.ofSeconds(-1))).hasMessageContaining("retryDelay");
        assertThatThrownBy(() -> builder.batchSize(0)).hasMessageContaining("batchSize");
        assertThatThrownBy(() -> builder.flushInterval(Duration.ZERO)).hasMessageContaining("flushInterval");
        assertThatThrownBy(() -> builder.emitTimeout(null)).isInstanceOf(NullPointerException.class);
        assertThat(builder.build()).isEqualTo(BusConfig.defaults());
    }

    @Test
    void the_record_constructor_checks_like_the_builder() {
        assertThatThrownBy(() ->
                        new BusConfig(0, 1, Duration.ZERO, 0, Duration.ZERO, true, 1, Duration.ofSeconds(1), true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxQueueSize must be >= 1, was 0");
    }

    @Test
    void the_memory_bus_builder_checks_eagerly() {
        MemoryEventBus.Builder builder = MemoryEventBus.builder();

        assertThatThrownBy(() -> builder.maxQueueSize(-5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-5");
        assertThatThrownBy(() -> builder.shutdownTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.streamRouter(null)).isInstanceOf(NullPointerException.class);
    }
}
