package io.nexus.eventbus.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventbus.RabbitMqConfig;
import io.nexus.eventbus.relay.BrokerRelayContract;
import io.nexus.eventbus.relay.TestBroker;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.spi.PersonalDataKeys;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

@PostgresTest
class RabbitMqRelayIntegrationTest extends BrokerRelayContract<RabbitMqRelay> {
    private final Set<String> received = new HashSet<>();
    private final List<String> bodies = new ArrayList<>();
    private final List<RabbitMqConsumer> consumers = new ArrayList<>();
    private final List<String> consumerQueues = new ArrayList<>();
    private String url;
    private String exchange;
    private String queue;
    private Connection admin;
    private Channel channel;

    RabbitMqRelayIntegrationTest(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void declareABoundQueue() throws Exception {
        url = TestBroker.RABBITMQ.url();
        exchange = TestBroker.RABBITMQ.uniqueName("relay");
        queue = TestBroker.RABBITMQ.uniqueName("relayed");
        admin = RabbitMqSettings.connect(URI.create(url), "nexus-test-admin");
        channel = admin.createChannel();
        channel.exchangeDeclare(exchange, "topic", true);
        channel.queueDeclare(queue, true, false, false, null);
        channel.queueBind(queue, exchange, "#");
    }

    @AfterEach
    void cleanUp() throws Exception {
        consumers.forEach(RabbitMqConsumer::close);
        if (admin != null) {
            for (String consumerQueue : consumerQueues) {
                channel.queueDelete(consumerQueue);
            }
            channel.queueDelete(queue);
            channel.exchangeDelete(exchange);
            admin.close();
        }
    }

    @Override
    protected RabbitMqRelay startRelay(PostgresEventBus bus, String subscriptionName) {
        return RabbitMqRelay.start(bus, RabbitMqConfig.fromUrl(url).withExchange(exchange), subscriptionName);
    }

    @Override
    protected Set<String> relayedIds() throws Exception {
        drain();
        return received;
    }

    @Override
    protected List<String> relayedBodies() throws Exception {
        drain();
        return bodies;
    }

    private void drain() throws Exception {
        GetResponse message;
        while ((message = channel.basicGet(queue, true)) != null) {
            received.add(message.getProps().getMessageId());
            bodies.add(new String(message.getBody(), StandardCharsets.UTF_8));
        }
    }

    @Override
    protected void startConsumer(String name, EventTypeRegistry types, PersonalDataKeys keys, EventListener listener) {
        String consumerQueue = TestBroker.RABBITMQ.uniqueName(name);
        consumerQueues.add(consumerQueue);
        RabbitMqConsumer consumer = RabbitMqConsumer.builder(url, consumerQueue)
                .exchange(exchange)
                .prefetch(1)
                .typeRegistry(types)
                .personalDataKeys(keys)
                .build();
        consumers.add(consumer);
        consumer.start(listener);
    }

    @Override
    protected void assertDestination(RabbitMqRelay relay) {
        assertThat(relay.exchange()).isEqualTo(exchange);
    }
}
