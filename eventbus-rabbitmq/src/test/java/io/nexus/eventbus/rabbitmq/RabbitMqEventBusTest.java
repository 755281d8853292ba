package io.nexus.eventbus.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.nexus.eventbus.BrokerTransport;
import io.nexus.eventbus.relay.BrokerBusContract;
import io.nexus.eventbus.relay.TestBroker;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/** The broker bus over RabbitMQ, against the broker of {@code NEXUS_TEST_RABBITMQ_URL}. */
@PostgresTest
class RabbitMqEventBusTest extends BrokerBusContract {
    private final String url = TestBroker.RABBITMQ.url();
    private final String exchange = TestBroker.RABBITMQ.uniqueName("bus");

    RabbitMqEventBusTest(TestDatabase database) {
        super(database);
    }

    @AfterEach
    void removeExchangeAndDeadLetters() throws Exception {
        try (Connection connection = RabbitMqSettings.connect(URI.create(url), "nexus-test-cleanup");
                Channel channel = connection.createChannel()) {
            channel.queueDelete(exchange + ".dead-letters");
            channel.exchangeDelete(exchange);
        }
    }

    @Override
    protected BrokerTransport transport(EventTypeRegistry types) {
        return RabbitMqTransport.builder(url)
                .exchange(exchange)
                .typeRegistry(types)
                .build();
    }

    @Override
    protected List<String> workerTransportArguments() {
        return List.of(url, exchange);
    }

    @Override
    protected Class<?> workerMain() {
        return RabbitMqBusWorkerMain.class;
    }

    @Override
    protected long deadLetterCount() {
        try (Connection connection = RabbitMqSettings.connect(URI.create(url), "nexus-test-count");
                Channel channel = connection.createChannel()) {
            return channel.messageCount(exchange + ".dead-letters");
        } catch (Exception e) {
            return -1;
        }
    }

    /** {@code rabbitmqctl stop_app} then {@code start_app}: the node stays, its durable queues and messages too. */
    @Override
    protected void restartBroker() throws Exception {
        try {
            run("rabbitmqctl", "stop_app");
        } finally {
            run("rabbitmqctl", "start_app");
            TestBroker.await("RabbitMQ to accept connections", Duration.ofSeconds(60), () -> {
                try (Connection connection = RabbitMqSettings.connect(URI.create(url), "nexus-test-ping")) {
                    return connection.isOpen();
                } catch (java.io.IOException | RuntimeException e) {
                    return false;
                }
            });
        }
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).inheritIO().start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS))
                .as(String.join(" ", command))
                .isTrue();
    }

    /**
     * The worker's queue is durable and every accepted event was confirmed persistent in it, so the restart loses
     * none; the events emitted while the broker was down were refused at emit, and counted there.
     */
    @Override
    protected void assertLossesWithoutPersistence(int lost, Run run) {
        assertThat(lost).isZero();
    }
}
