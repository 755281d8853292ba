package io.nexus.eventbus.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedisBuildersTest {
    @Test
    void a_url_that_is_not_redis_is_rejected_quoting_it() {
        assertThatThrownBy(() -> RedisStreamPublisher.builder("http://localhost:6379"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'http://localhost:6379'");
        assertThatThrownBy(() -> RedisStreamConsumer.builder("not a url", "g", "c"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'not a url'");
    }

    @Test
    void blank_names_are_rejected() {
        assertThatThrownBy(() -> RedisStreamConsumer.builder("redis://localhost:6379", " ", "c"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("group");
        assertThatThrownBy(() -> RedisStreamConsumer.builder("redis://localhost:6379", "g", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("consumerName");
        assertThatThrownBy(() ->
                        RedisStreamPublisher.builder("redis://localhost:6379").streamKey(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("streamKey");
    }

    @Test
    void the_dead_letter_stream_defaults_to_the_stream_key_with_a_suffix() {
        RedisStreamConsumer consumer = RedisStreamConsumer.builder("redis://localhost:6379", "g", "c")
                .streamKey("orders")
                .build();

        assertThat(consumer.deadLetterStreamKey()).isEqualTo("orders:dead-letters");
    }

    @Test
    void numbers_and_durations_out_of_range_are_rejected_at_the_setter() {
        RedisStreamConsumer.Builder builder = RedisStreamConsumer.builder("redis://localhost:6379", "g", "c");

        assertThatThrownBy(() -> builder.batchSize(0)).hasMessageContaining("batchSize must be >= 1, was 0");
        assertThatThrownBy(() -> builder.blockTimeout(Duration.ZERO)).hasMessageContaining("blockTimeout");
        assertThatThrownBy(() -> builder.claimIdleTime(Duration.ofSeconds(-1))).hasMessageContaining("claimIdleTime");
        assertThatThrownBy(() -> builder.maxDeliveries(-1)).hasMessageContaining("maxDeliveries must be >= 0, was -1");
        assertThatThrownBy(() -> builder.deadLetterStreamKey(" ")).hasMessageContaining("deadLetterStreamKey");
        assertThatThrownBy(() ->
                        RedisStreamPublisher.builder("redis://localhost:6379").maxLength(-1))
                .hasMessageContaining("maxLength must be >= 0");
    }
}
