package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Without the broker module on the classpath (as here), a broker backend fails naming the artifact to add. */
class BrokerBackendMissingTest {

    @Test
    void backend_redis_without_its_module_names_the_artifact() {
        NexusConfig config = NexusConfig.fromYaml("""
                events:
                  backend: redis
                  redis:
                    host: localhost
                """, Map.of());

        Throwable thrown = catchThrowable(() -> EventBuses.create(config));

        assertThat(thrown)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("io.nexus:nexus-eventbus-redis");
    }

    @Test
    void backend_rabbitmq_without_its_module_names_the_artifact() {
        NexusConfig config = NexusConfig.fromYaml("""
                events:
                  backend: rabbitmq
                  rabbitmq:
                    url: amqp://guest:guest@localhost:5672/
                """, Map.of());

        Throwable thrown = catchThrowable(() -> EventBuses.create(config));

        assertThat(thrown)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("io.nexus:nexus-eventbus-rabbitmq");
    }
}
