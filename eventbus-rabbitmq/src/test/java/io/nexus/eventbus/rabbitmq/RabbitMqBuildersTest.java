package io.nexus.eventbus.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nexus.eventbus.TypePattern;
import io.nexus.eventbus.rabbitmq.internal.TopicBindings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RabbitMqBuildersTest {
    private static final String URI = "amqp://guest:guest@127.0.0.1:5672/";

    @Test
    void a_uri_that_is_not_amqp_is_rejected_quoting_it() {
        assertThatThrownBy(() -> RabbitMqPublisher.builder("http://localhost:5672"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'http://localhost:5672'");
        assertThatThrownBy(() -> RabbitMqConsumer.builder("not a uri", "q"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'not a uri'");
    }

    @Test
    void queue_and_exchange_names_are_checked() {
        assertThatThrownBy(() -> RabbitMqConsumer.builder(URI, " "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("queue");
        assertThatThrownBy(() -> RabbitMqConsumer.builder(URI, "amq.mine"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reserved prefix 'amq.'");
        assertThatThrownBy(() -> RabbitMqPublisher.builder(URI).exchange("x".repeat(256)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exchange must be 1 to 255 characters");
    }

    @Test
    void prefetch_confirm_timeout_and_patterns_are_checked_at_the_setter() {
        RabbitMqConsumer.Builder builder = RabbitMqConsumer.builder(URI, "q");

        assertThatThrownBy(() -> builder.prefetch(0)).hasMessageContaining("prefetch must be 1 to 65535, was 0");
        assertThatThrownBy(() -> builder.prefetch(65_536)).hasMessageContaining("was 65536");
        assertThatThrownBy(() -> builder.typePatterns()).hasMessageContaining("at least one pattern");
        assertThatThrownBy(() -> builder.typePatterns("user*")).hasMessageContaining("'user*'");
        assertThatThrownBy(() -> RabbitMqPublisher.builder(URI).confirmTimeout(Duration.ZERO))
                .hasMessageContaining("confirmTimeout must be at least 1 ms");
    }

    @Test
    void type_patterns_map_to_topic_binding_keys() {
        assertThat(TopicBindings.bindingKey(TypePattern.of("user.registered"))).isEqualTo("user.registered");
        assertThat(TopicBindings.bindingKey(TypePattern.of("*"))).isEqualTo("#");
        assertThat(TopicBindings.bindingKey(TypePattern.of("user.*"))).isEqualTo("user.#");
        assertThat(TopicBindings.bindingKey(TypePattern.of("*.error"))).isEqualTo("#.error");
    }

    @Test
    void the_builder_reports_its_settings() {
        RabbitMqConsumer consumer = RabbitMqConsumer.builder(URI, "billing")
                .typePatterns("order.*", "*.error")
                .deadLetterExchange("billing.dlx")
                .build();

        assertThat(consumer.queue()).isEqualTo("billing");
        assertThat(consumer.typePatterns()).containsExactly("order.*", "*.error");
        assertThat(consumer.deadLetterExchange()).contains("billing.dlx");
    }
}
