package io.nexus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventbus.BrokerEventBus;
import io.nexus.eventbus.EventBus;
import io.nexus.eventbus.relay.TestBroker;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * {@code nexus.backend=redis} and {@code rabbitmq}: the broker bus the YAML path builds, from {@code nexus.redis.*} and
 * {@code nexus.rabbitmq.*}, with {@code persist_events} on the application's store. Two contexts on the same
 * properties stand for two instances of one application.
 */
@PostgresTest
class NexusBrokerBusTest {
    private final TestDatabase database;

    NexusBrokerBusTest(TestDatabase database) {
        this.database = database;
    }

    private ApplicationContextRunner instance(String... properties) {
        // Delegating: the context must not close the test's pool, which Spring would infer from its close method.
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(NexusAutoConfiguration.class))
                .withBean(DataSource.class, () -> new DelegatingDataSource(database.dataSource()))
                .withPropertyValues(properties);
    }

    @Test
    void an_event_handler_bean_receives_what_another_instance_emits_through_redis() throws Exception {
        String[] properties = {
            "nexus.backend=redis",
            "nexus.persist-events=true",
            "nexus.redis.url=" + TestBroker.REDIS.url(),
            "nexus.redis.channel-prefix=" + TestBroker.REDIS.uniqueName("channel"),
            "nexus.redis.stream-name=" + TestBroker.REDIS.uniqueName("stream"),
            "nexus.redis.consumer-group=" + TestBroker.REDIS.uniqueName("group")
        };

        handledAcrossInstances(properties);
    }

    @Test
    void an_event_handler_bean_receives_what_another_instance_emits_through_rabbitmq() throws Exception {
        String[] properties = {
            "nexus.backend=rabbitmq",
            "nexus.persist-events=true",
            "nexus.rabbitmq.url=" + TestBroker.RABBITMQ.url(),
            "nexus.rabbitmq.exchange=" + TestBroker.RABBITMQ.uniqueName("exchange"),
            "nexus.rabbitmq.queue-prefix=" + TestBroker.RABBITMQ.uniqueName("queue")
        };

        handledAcrossInstances(properties);
    }

    private void handledAcrossInstances(String[] properties) {
        instance(properties).withBean(TestApp.Greeter.class).run(receiving -> {
            assertThat(receiving).hasNotFailed();
            instance(properties).run(emitting -> {
                assertThat(emitting).hasNotFailed();
                EventBus bus = emitting.getBean(EventBus.class);
                assertThat(bus).isInstanceOf(BrokerEventBus.class);
                PostgresEventStore store = emitting.getBean(PostgresEventStore.class);
                long head = store.headPosition();

                bus.emit(NewEvent.of("user.registered", "{\"name\":\"ada\"}"));

                TestApp.Greeter greeter = receiving.getBean(TestApp.Greeter.class);
                Eventually.until("the other instance's handler received the event", () -> !greeter.greeted.isEmpty());
                assertThat(greeter.greeted).singleElement().asString().contains("ada");
                assertThat(store.headPosition())
                        .as("persist_events kept it in the store")
                        .isEqualTo(head + 1);
            });
        });
    }
}
