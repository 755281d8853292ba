package io.nexus.eventbus.rabbitmq;

import static io.nexus.eventbus.rabbitmq.RabbitMqTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.MemoryEventBus;
import io.nexus.eventbus.TypePattern;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RabbitMqRelayTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<String> queues = new ArrayList<>();
    private final List<String> exchanges = new ArrayList<>();
    private String url;
    private String exchange;
    private Connection admin;
    private Channel channel;
    private RabbitMqPublisher publisher;

    @BeforeEach
    void connect() throws Exception {
        url = RabbitMqTestSupport.rabbitMqUrl();
        admin = RabbitMqSettings.connect(URI.create(url), "nexus-test-admin");
        channel = admin.createChannel();
        exchange = RabbitMqTestSupport.uniqueName("events");
        exchanges.add(exchange);
        publisher = RabbitMqPublisher.builder(url).exchange(exchange).build();
        closeables.add(publisher);
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
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
        String queue = RabbitMqTestSupport.uniqueName(what);
        queues.add(queue);
        return queue;
    }

    private RabbitMqConsumer start(RabbitMqConsumer.Builder builder, EventListener listener) {
        RabbitMqConsumer consumer = builder.exchange(exchange).build();
        closeables.add(consumer);
        consumer.start(listener);
        return consumer;
    }

    private List<RecordedEvent> publish(int count, String type) {
        List<RecordedEvent> events = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            RecordedEvent event = TestEvents.event(i, type);
            publisher.handle(event);
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

    @Test
    void every_envelope_field_survives_the_round_trip_as_raw_json() throws Exception {
        RecordedEvent sent = TestEvents.fullyPopulated(RawJson.of("{\"orderId\":\"42\",\"lines\":[1,2]}"));
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        start(RabbitMqConsumer.builder(url, queue("round-trip")), received::add);

        publisher.handle(sent);

        await("the event", WAIT, () -> received.size() == 1);
        assertThat(received.get(0)).isEqualTo(sent);
    }

    @Test
    void large_and_precise_numbers_in_the_payload_arrive_exactly() throws Exception {
        RawJson payload = RawJson.of("{\"amount\":12345678901234567.10,\"count\":123456789012345678901234567890,"
                + "\"ratio\":0.1,\"unicode\":\"\u00e9\u4e2d\\n\"}");
        RecordedEvent sent = TestEvents.fullyPopulated(payload);
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        start(RabbitMqConsumer.builder(url, queue("numbers")), received::add);

        publisher.handle(sent);

        await("the event", WAIT, () -> received.size() == 1);
        assertThat(received.get(0).data()).isEqualTo(payload);
    }

    @Test
    void a_publisher_relays_what_a_bus_subscription_hands_it() throws Exception {
        List<RecordedEvent> delivered = new CopyOnWriteArrayList<>();
        List<RecordedEvent> relayed = new CopyOnWriteArrayList<>();
        start(RabbitMqConsumer.builder(url, queue("bus")).prefetch(1), relayed::add);
        try (MemoryEventBus bus = MemoryEventBus.create()) {
            bus.subscribe("order.*", publisher);
            bus.subscribe("order.*", delivered::add);

            bus.emit(NewEvent.of("order.placed", RawJson.of("{\"orderId\":\"42\"}"))
                    .withCorrelationId(UUID.randomUUID())
                    .withSource("checkout"));
            bus.emit(NewEvent.of("user.registered", RawJson.of("{}")));
            bus.emit(NewEvent.of("order.shipped", RawJson.of("{\"orderId\":\"42\"}")));

            await("both order events", WAIT, () -> relayed.size() == 2);
        }
        assertThat(relayed).containsExactlyElementsOf(delivered);
    }

    @Test
    void the_envelope_has_the_documented_fields() throws Exception {
        RecordedEvent sent = TestEvents.fullyPopulated(RawJson.of("{\"orderId\":\"42\"}"));

        String queue = queue("format");
        channel.queueDeclare(queue, true, false, false, null);
        channel.queueBind(queue, exchange, "#");
        publisher.handle(sent);
        await("the message", WAIT, () -> {
            try {
                return ready(queue) == 1;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        String body = new String(channel.basicGet(queue, true).getBody(), StandardCharsets.UTF_8);
        JsonNode envelope = new ObjectMapper().readTree(body);
        List<String> fields = new ArrayList<>();
        envelope.properties().forEach(field -> fields.add(field.getKey()));
        assertThat(fields).containsExactly("eventId", "type", "streamId", "streamVersion", "position", "recordedAt",
                "correlationId", "causationId", "source", "metadata", "data");
        assertThat(envelope.get("eventId").asText()).isEqualTo(sent.eventId().toString());
        assertThat(envelope.get("type").asText()).isEqualTo("order.placed");
        assertThat(envelope.get("streamId").asText()).isEqualTo("order-42");
        assertThat(envelope.get("streamVersion").asLong()).isEqualTo(7);
        assertThat(envelope.get("position").asLong()).isEqualTo(12345);
        assertThat(envelope.get("recordedAt").asText()).isEqualTo("2026-11-27T05:00:00.123456Z");
        assertThat(envelope.get("correlationId").asText()).isEqualTo(String.valueOf(sent.correlationId()));
        assertThat(envelope.get("causationId").asText()).isEqualTo(String.valueOf(sent.causationId()));
        assertThat(envelope.get("source").asText()).isEqualTo("checkout-service");
        assertThat(envelope.get("metadata").get("tenant").asText()).isEqualTo("acme");
        assertThat(envelope.get("data").get("orderId").asText()).isEqualTo("42");
    }

    @Test
    void a_registered_payload_type_is_decoded_to_its_class_and_absent_ids_stay_absent() throws Exception {
        TestEvents.OrderPlaced payload =
                new TestEvents.OrderPlaced("42", 1999, Instant.parse("2026-11-27T04:00:00Z"));
        RecordedEvent full = TestEvents.fullyPopulated(payload);
        RecordedEvent sent = new RecordedEvent(full.streamId(), full.streamVersion(), full.position(), full.eventId(),
                full.type(), payload, Map.of(), null, null, null, full.recordedAt());
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        start(
                RabbitMqConsumer.builder(url, queue("typed"))
                        .typeRegistry(EventTypeRegistry.builder()
                                .register("order.placed", TestEvents.OrderPlaced.class)
                                .build()),
                received::add);

        publisher.handle(sent);

        await("the event", WAIT, () -> received.size() == 1);
        assertThat(received.get(0)).isEqualTo(sent);
        assertThat(received.get(0).dataAs(TestEvents.OrderPlaced.class)).isEqualTo(payload);
    }

    @Test
    void messages_are_persistent_and_carry_the_event_id_type_and_correlation_id() throws Exception {
        String queue = queue("raw");
        channel.queueDeclare(queue, true, false, false, null);
        channel.queueBind(queue, exchange, "#");
        RecordedEvent sent = TestEvents.fullyPopulated(RawJson.of("{}"));

        publisher.handle(sent);

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
    void two_consumers_of_one_queue_receive_each_event_exactly_once_and_another_queue_receives_all()
            throws Exception {
        int count = 300;
        String workers = queue("workers");
        Map<UUID, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        AtomicInteger total = new AtomicInteger();
        EventListener counting = event -> {
            deliveries.computeIfAbsent(event.eventId(), id -> new AtomicInteger()).incrementAndGet();
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
            if (attempts.computeIfAbsent(event.eventId(), id -> new AtomicInteger()).incrementAndGet() == 1) {
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
        String deadLetterExchange = RabbitMqTestSupport.uniqueName("dlx");
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
        assertThat(deadIds).isEqualTo(sent.stream().map(e -> e.eventId().toString()).collect(Collectors.toSet()));
    }

    @Test
    void type_patterns_route_like_nexus_type_patterns() throws Exception {
        List<String> types = List.of(
                "user.registered", "user.profile.changed", "user", "payment.error", "a.b.error", "error",
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
        start(RabbitMqConsumer.builder(url, queue("two-patterns")).typePatterns("user.registered", "*.error"),
                event -> both.add(event.type()));

        for (int i = 0; i < types.size(); i++) {
            publisher.handle(TestEvents.event(i + 1, types.get(i)));
        }

        await("every type on the catch-all queue", WAIT, () -> receivedByPattern.get("*").size() == types.size());
        Thread.sleep(300);
        for (String pattern : patterns) {
            TypePattern oracle = TypePattern.of(pattern);
            assertThat(receivedByPattern.get(pattern))
                    .as(pattern)
                    .containsExactlyInAnyOrderElementsOf(types.stream().filter(oracle::matches).toList());
        }
        assertThat(receivedByPattern.get("user.*")).containsExactlyInAnyOrder("user.registered", "user.profile.changed");
        assertThat(receivedByPattern.get("*.error")).containsExactlyInAnyOrder("payment.error", "a.b.error");
        assertThat(both).containsExactlyInAnyOrder("user.registered", "payment.error", "a.b.error");
    }

    @Test
    void a_publish_the_broker_refuses_throws_and_the_next_one_succeeds_once_the_cause_is_gone() throws Exception {
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        String queue = queue("refused");
        channel.exchangeDelete(exchange);

        assertThatThrownBy(() -> publisher.handle(TestEvents.event(1, "order.placed")))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("cannot publish event");

        start(RabbitMqConsumer.builder(url, queue), received::add);
        RecordedEvent retried = TestEvents.event(2, "order.placed");
        publisher.handle(retried);
        await("the retried event", WAIT, () -> received.size() == 1);
        assertThat(received).containsExactly(retried);
    }

    @Test
    void a_publisher_that_cannot_reach_the_broker_fails_at_build() {
        assertThatThrownBy(() -> RabbitMqPublisher.builder("amqp://guest:guest@127.0.0.1:1/").build())
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
