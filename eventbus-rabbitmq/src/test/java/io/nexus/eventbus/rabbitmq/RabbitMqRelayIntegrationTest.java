package io.nexus.eventbus.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.nexus.eventbus.NexusConfig;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@PostgresTest
@Timeout(60)
class RabbitMqRelayIntegrationTest {
    private static final int EVENTS = 50;

    private final TestDatabase database;

    RabbitMqRelayIntegrationTest(TestDatabase database) {
        this.database = database;
    }

    @Test
    void every_committed_event_reaches_a_bound_queue_through_a_durable_subscription() throws Exception {
        String url = RabbitMqTestSupport.rabbitMqUrl();
        String exchange = RabbitMqTestSupport.uniqueName("relay");
        String queue = RabbitMqTestSupport.uniqueName("relayed");
        NexusConfig.RabbitMq settings = new NexusConfig.RabbitMq(url, exchange);
        Set<String> emitted = new HashSet<>();
        Set<String> received = new HashSet<>();
        Connection admin = RabbitMqSettings.connect(URI.create(url), "nexus-test-admin");
        try (PostgresEventBus bus = PostgresEventBus.builder(database.dataSource())
                .schema(database.schema())
                .flushInterval(Duration.ofMillis(20))
                .build()) {
            Channel channel = admin.createChannel();
            channel.exchangeDeclare(exchange, "topic", true);
            channel.queueDeclare(queue, true, false, false, null);
            channel.queueBind(queue, exchange, "#");
            for (int i = 0; i < EVENTS / 2; i++) {
                NewEvent event = NewEvent.of("relay.before", "{\"n\":" + i + "}");
                bus.emit(event);
                emitted.add(event.eventId().toString());
            }

            try (RabbitMqRelay relay = RabbitMqRelay.start(bus, settings, "rabbitmq-relay-" + UUID.randomUUID())) {
                for (int i = 0; i < EVENTS / 2; i++) {
                    NewEvent event = NewEvent.of("relay.after", "{\"n\":" + i + "}");
                    bus.emit(event);
                    emitted.add(event.eventId().toString());
                }
                RabbitMqTestSupport.await("all events in the queue", Duration.ofSeconds(30), () -> {
                    try {
                        GetResponse message;
                        while ((message = channel.basicGet(queue, true)) != null) {
                            received.add(message.getProps().getMessageId());
                        }
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return received.size() >= EVENTS;
                });

                assertThat(relay.exchange()).isEqualTo(exchange);
                assertThat(received).hasSize(EVENTS).isEqualTo(emitted);
            } finally {
                channel.queueDelete(queue);
                channel.exchangeDelete(exchange);
            }
        } finally {
            admin.close();
        }
    }
}
