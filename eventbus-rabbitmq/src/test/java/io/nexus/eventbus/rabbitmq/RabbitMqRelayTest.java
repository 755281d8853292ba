package io.nexus.eventbus.rabbitmq;

import static io.nexus.eventbus.relay.TestBroker.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.TypePattern;
import io.nexus.eventbus.relay.RelayContract;
import io.nexus.eventbus.relay.TestBroker;
import io.nexus.eventbus.relay.TestEvents;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RabbitMqRelayTest extends RelayContract<RabbitMqPublisher> {
    private final List<String> queues = new ArrayList<>();
    private final List<String> exchanges = new ArrayList<>();
    private String url;
    private String exchange;
    private Connection admin;
    private Channel channel;

    @Override
    protected RabbitMqPublisher connect() throws Exception {
        url = TestBroker.RABBITMQ.url();
        admin = RabbitMqSettings.connect(URI.create(url), "nexus-test-admin");
        channel = admin.createChannel();
        exchange = TestBroker.RABBITMQ.uniqueName("events");
        exchanges.add(exchange);
        return RabbitMqPublisher.builder(url)
                .exchange(exchange)
                .personalDataKeys(keys())
                .build();
    }

    @Override
    protected void disconnect() throws Exception {
        if (admin != null) {
            for (String queue : queues) {
                channel.queueDelete(queue);
            }
            for (String name : exchanges) {
                channel.exchangeDelete(name);
            }
            admin.close();
        }
    }

    private String queue(String what) {
        String queue = TestBroker.RABBITMQ.uniqueName(what);
        queues.add(queue);
        return queue;
    }

    private RabbitMqConsumer start(RabbitMqConsumer.Builder builder, EventListener listener) {
        RabbitMqConsumer consumer = closeAfter(builder.exchange(exchange).build());
        consumer.start(listener);
        return consumer;
    }

    private List<RecordedEvent> publish(int count, String type) {
        List<RecordedEvent> events = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            RecordedEvent event = TestEvents.event(i, type);
            publisher().handle(event);
            events.add(event);
        }
        return events;
    }

    private static Set<UUID> ids(List<RecordedEvent> events) {
        return events.stream().map(RecordedEvent::eventId).collect(Collectors.toSet());
    }

    private long ready(String queue) throws Exception {
        return channel.queueDeclarePassive(queue).getMessageCount();
    }

    @Override
    protected void startConsumer(String name, EventTypeRegistry types, EventListener listener) {
        start(
                RabbitMqConsumer.builder(url, queue(name))
                        .prefetch(1)
                        .typeRegistry(types)
                        .personalDataKeys(keys()),
                listener);
    }

    @Override
    protected String publishedEnvelope(RecordedEvent event) throws Exception {
        String queue = queue("format");
        channel.queueDeclare(queue, true, false, false, null);
        channel.queueBind(queue, exchange, "#");
        publisher().handle(event);
        await("the message", WAIT, () -> {
            try {
                return ready(queue) == 1;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return new String(channel.basicGet(queue, true).getBody(), StandardCharsets.UTF_8);
    }

    @Test
    void messages_are_persistent_and_carry_the_event_id_type_and_correlation_id() throws Exception {
        String queue = queue("raw");
        channel.queueDeclare(queue, true, false, false, null);
        channel.queueBind(queue, exchange, "#");
        RecordedEvent sent = TestEvents.fullyPopulated(RawJson.of("{}"));

        publisher().handle(sent);

        await("the message", WAIT, () -> {
            try {
                return ready(queue) == 1;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        GetResponse message = channel.basicGet(queue, true);
        assertThat(message.getProps().getDeliveryMode()).isEqualTo(2);
        assertThat(message.getProps().getMessageId()).isEqualTo(sent.eventId().toString());
        assertThat(message.getProps().getType()).isEqualTo("order.placed");
        assertThat(message.getProps().getCorrelationId()).isEqualTo(String.valueOf(sent.correlationId()));
        assertThat(message.getProps().getAppId()).isEqualTo("checkout-service");
        assertThat(message.getProps().getContentType()).isEqualTo("application/json");
        assertThat(message.getEnvelope().getRoutingKey()).isEqualTo("order.placed");
        assertThat(new String(message.getBody(), StandardCharsets.UTF_8))
                .contains("\"eventId\":\"" + sent.eventId() + "\"");
    }

    @Test
    void two_consumers_of_one_queue_receive_each_event_exactly_once_and_another_queue_receives_all() throws Exception {
        int count = 300;
        String workers = queue("workers");
        Map<UUID, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        AtomicInteger total = new AtomicInteger();
        EventListener counting = event -> {
            deliveries
                    .computeIfAbsent(event.eventId(), id -> new AtomicInteger())
                    .incrementAndGet();
            total.incrementAndGet();
        };
        Set<UUID> audit = ConcurrentHashMap.newKeySet();
        AtomicInteger auditTotal = new AtomicInteger();
        start(RabbitMqConsumer.builder(url, workers).prefetch(10), counting);
        start(RabbitMqConsumer.builder(url, workers).prefetch(10), counting);
        start(RabbitMqConsumer.builder(url, queue("audit")), event -> {
            audit.add(event.eventId());
            auditTotal.incrementAndGet();
        });

        List<RecordedEvent> sent = publish(count, "order.placed");

        await("every event on both queues", WAIT, () -> total.get() >= count && auditTotal.get() >= count);
        Thread.sleep(300);
        assertThat(total).hasValue(count);
        assertThat(deliveries.keySet()).isEqualTo(ids(sent));
        assertThat(deliveries.values()).allSatisfy(times -> assertThat(times).hasValue(1));
        assertThat(auditTotal).hasValue(count);
        assertThat(audit).isEqualTo(ids(sent));
        assertThat(ready(workers)).isZero();
    }

    @Test
    void messages_a_dead_consumer_did_not_acknowledge_are_requeued_to_another() throws Exception {
        int count = 50;
        String queue = queue("workers");
        RabbitMqConsumer declaring = start(RabbitMqConsumer.builder(url, queue), event -> {});
        declaring.close();
        List<RecordedEvent> sent = publish(count, "order.placed");
        Connection doomed = RabbitMqSettings.connect(URI.create(url), "nexus-test-doomed");
        Channel doomedChannel = doomed.createChannel();
        AtomicInteger taken = new AtomicInteger();
        doomedChannel.basicQos(count);
        doomedChannel.basicConsume(queue, false, (tag, delivery) -> taken.incrementAndGet(), tag -> {});
        await("the doomed consumer to hold every message", WAIT, () -> taken.get() == count);
        Set<UUID> received = ConcurrentHashMap.newKeySet();
        AtomicInteger redelivered = new AtomicInteger();
        start(RabbitMqConsumer.builder(url, queue), event -> {
            received.add(event.eventId());
            redelivered.incrementAndGet();
        });
        Thread.sleep(200);
        assertThat(redelivered).hasValue(0);

        doomed.abort();

        await("the requeued messages", WAIT, () -> redelivered.get() >= count);
        assertThat(received).isEqualTo(ids(sent));
        assertThat(redelivered).hasValue(count);
    }

    @Test
    void a_failing_listener_does_not_acknowledge_and_the_message_is_requeued() throws Exception {
        int count = 10;
        String queue = queue("workers");
        Map<UUID, AtomicInteger> attempts = new ConcurrentHashMap<>();
        Set<UUID> handled = ConcurrentHashMap.newKeySet();
        start(RabbitMqConsumer.builder(url, queue), event -> {
            if (attempts.computeIfAbsent(event.eventId(), id -> new AtomicInteger())
                            .incrementAndGet()
                    == 1) {
                throw new IllegalStateException("first attempt fails");
            }
            handled.add(event.eventId());
        });

        List<RecordedEvent> sent = publish(count, "order.placed");

        await("every event handled", WAIT, () -> handled.size() == count);
        assertThat(handled).isEqualTo(ids(sent));
        assertThat(attempts.values()).allSatisfy(times -> assertThat(times).hasValue(2));
        assertThat(ready(queue)).isZero();
    }

    @Test
    void a_listener_that_always_fails_leaves_every_message_in_the_queue() throws Exception {
        int count = 10;
        String queue = queue("workers");
        AtomicInteger attempts = new AtomicInteger();
        RabbitMqConsumer consumer = start(RabbitMqConsumer.builder(url, queue), event -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("the read model is down");
        });

        publish(count, "order.placed");
        await("attempts at every message", WAIT, () -> attempts.get() >= count);
        consumer.close();

        await("all messages back in the queue", WAIT, () -> {
            try {
                return ready(queue) == count;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void with_a_dead_letter_exchange_a_failed_message_is_dead_lettered_not_requeued() throws Exception {
        int count = 5;
        String deadLetterExchange = TestBroker.RABBITMQ.uniqueName("dlx");
        exchanges.add(deadLetterExchange);
        String deadLetters = queue("dead-letters");
        channel.exchangeDeclare(deadLetterExchange, "topic", true);
        channel.queueDeclare(deadLetters, true, false, false, null);
        channel.queueBind(deadLetters, deadLetterExchange, "#");
        AtomicInteger attempts = new AtomicInteger();
        start(RabbitMqConsumer.builder(url, queue("workers")).deadLetterExchange(deadLetterExchange), event -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("poison");
        });

        List<RecordedEvent> sent = publish(count, "order.placed");

        await("every message dead-lettered", WAIT, () -> {
            try {
                return ready(deadLetters) == count;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(attempts).hasValue(count);
        Set<String> deadIds = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < count; i++) {
            deadIds.add(channel.basicGet(deadLetters, true).getProps().getMessageId());
        }
        assertThat(deadIds)
                .isEqualTo(sent.stream().map(e -> e.eventId().toString()).collect(Collectors.toSet()));
    }

    @Test
    void type_patterns_route_like_nexus_type_patterns() throws Exception {
        List<String> types = List.of(
                "user.registered",
                "user.profile.changed",
                "user",
                "payment.error",
                "a.b.error",
                "error",
                "order.placed");
        Map<String, List<String>> receivedByPattern = new ConcurrentHashMap<>();
        List<String> patterns = List.of("user.*", "*.error", "*", "user.registered");
        for (String pattern : patterns) {
            List<String> received = new CopyOnWriteArrayList<>();
            receivedByPattern.put(pattern, received);
            start(
                    RabbitMqConsumer.builder(url, queue("pattern")).typePatterns(pattern),
                    event -> received.add(event.type()));
        }
        List<String> both = new CopyOnWriteArrayList<>();
        start(
                RabbitMqConsumer.builder(url, queue("two-patterns")).typePatterns("user.registered", "*.error"),
                event -> both.add(event.type()));

        for (int i = 0; i < types.size(); i++) {
            publisher().handle(TestEvents.event(i + 1, types.get(i)));
        }

        await(
                "every type on the catch-all queue",
                WAIT,
                () -> receivedByPattern.get("*").size() == types.size());
        Thread.sleep(300);
        for (String pattern : patterns) {
            TypePattern oracle = TypePattern.of(pattern);
            assertThat(receivedByPattern.get(pattern))
                    .as(pattern)
                    .containsExactlyInAnyOrderElementsOf(
                            types.stream().filter(oracle::matches).toList());
        }
        assertThat(receivedByPattern.get("user.*"))
                .containsExactlyInAnyOrder("user.registered", "user.profile.changed");
        assertThat(receivedByPattern.get("*.error")).containsExactlyInAnyOrder("payment.error", "a.b.error");
        assertThat(both).containsExactlyInAnyOrder("user.registered", "payment.error", "a.b.error");
    }

    @Test
    void a_publish_the_broker_refuses_throws_and_the_next_one_succeeds_once_the_cause_is_gone() throws Exception {
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        String queue = queue("refused");
        channel.exchangeDelete(exchange);

        assertThatThrownBy(() -> publisher().handle(TestEvents.event(1, "order.placed")))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("cannot publish event");

        start(RabbitMqConsumer.builder(url, queue), received::add);
        RecordedEvent retried = TestEvents.event(2, "order.placed");
        publisher().handle(retried);
        await("the retried event", WAIT, () -> received.size() == 1);
        assertThat(received).containsExactly(retried);
    }

    @Test
    void a_publisher_that_cannot_reach_the_broker_fails_at_build() {
        assertThatThrownBy(() -> RabbitMqPublisher.builder("amqp://guest:guest@127.0.0.1:1/")
                        .build())
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("cannot connect to RabbitMQ at amqp://127.0.0.1:1/")
                .hasMessageNotContaining("guest");
    }

    @Test
    void a_consumer_cannot_be_started_twice() {
        RabbitMqConsumer consumer = start(RabbitMqConsumer.builder(url, queue("workers")), event -> {});

        assertThatThrownBy(() -> consumer.start(event -> {}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already started");
    }
}
