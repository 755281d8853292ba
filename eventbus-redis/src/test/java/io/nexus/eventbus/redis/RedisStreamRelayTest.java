package io.nexus.eventbus.redis;

import static io.nexus.eventbus.redis.RedisTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.MemoryEventBus;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import java.net.URI;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

@Timeout(60)
class RedisStreamRelayTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private String url;
    private String streamKey;
    private RedisClient redis;
    private RedisStreamPublisher publisher;

    @BeforeEach
    void connect() {
        url = RedisTestSupport.redisUrl();
        streamKey = RedisTestSupport.uniqueKey("events");
        redis = RedisClient.create(URI.create(url));
        publisher = RedisStreamPublisher.builder(url).streamKey(streamKey).build();
        closeables.add(publisher);
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
        if (redis != null) {
            redis.del(streamKey);
            redis.close();
        }
    }

    private RedisStreamConsumer consumer(String group, String name, Duration claimIdleTime, EventListener listener) {
        RedisStreamConsumer consumer = RedisStreamConsumer.builder(url, group, name)
                .streamKey(streamKey)
                .batchSize(10)
                .blockTimeout(Duration.ofMillis(100))
                .claimIdleTime(claimIdleTime)
                .build();
        closeables.add(consumer);
        consumer.start(listener);
        return consumer;
    }

    private List<RecordedEvent> publish(int count) {
        List<RecordedEvent> events = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            RecordedEvent event = TestEvents.event(i, "order.placed");
            publisher.handle(event);
            events.add(event);
        }
        return events;
    }

    private static Set<UUID> ids(List<RecordedEvent> events) {
        Set<UUID> ids = ConcurrentHashMap.newKeySet();
        events.forEach(event -> ids.add(event.eventId()));
        return ids;
    }

    @Test
    void every_envelope_field_survives_the_round_trip_as_raw_json() throws Exception {
        RecordedEvent sent = TestEvents.fullyPopulated(RawJson.of("{\"orderId\":\"42\",\"lines\":[1,2]}"));
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        consumer("round-trip", "c1", Duration.ofMinutes(1), received::add);

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
        consumer("numbers", "c1", Duration.ofMinutes(1), received::add);

        publisher.handle(sent);

        await("the event", WAIT, () -> received.size() == 1);
        assertThat(received.get(0).data()).isEqualTo(payload);
    }

    @Test
    void a_publisher_relays_what_a_bus_subscription_hands_it() throws Exception {
        List<RecordedEvent> delivered = new CopyOnWriteArrayList<>();
        List<RecordedEvent> relayed = new CopyOnWriteArrayList<>();
        consumer("bus", "c1", Duration.ofMinutes(1), relayed::add);
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

        String entryId = publisher.publish(sent);
        String body = redis.xrange(streamKey, entryId, entryId).get(0).getFields().get(RedisStreamPublisher.FIELD_ENVELOPE);
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
        RedisStreamConsumer consumer = RedisStreamConsumer.builder(url, "typed", "c1")
                .streamKey(streamKey)
                .blockTimeout(Duration.ofMillis(100))
                .typeRegistry(EventTypeRegistry.builder()
                        .register("order.placed", TestEvents.OrderPlaced.class)
                        .build())
                .build();
        closeables.add(consumer);
        consumer.start(received::add);

        publisher.handle(sent);

        await("the event", WAIT, () -> received.size() == 1);
        assertThat(received.get(0)).isEqualTo(sent);
        assertThat(received.get(0).dataAs(TestEvents.OrderPlaced.class)).isEqualTo(payload);
    }

    @Test
    void each_entry_carries_the_event_id_and_type_outside_the_envelope() {
        RecordedEvent sent = TestEvents.event(1, "user.registered");

        String entryId = publisher.publish(sent);

        List<StreamEntry> entries = redis.xrange(streamKey, entryId, entryId);
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).getFields())
                .containsEntry(RedisStreamPublisher.FIELD_EVENT_ID, sent.eventId().toString())
                .containsEntry(RedisStreamPublisher.FIELD_TYPE, "user.registered")
                .containsKey(RedisStreamPublisher.FIELD_ENVELOPE);
    }

    @Test
    void two_consumers_in_one_group_receive_each_event_exactly_once_and_another_group_receives_all()
            throws Exception {
        int count = 300;
        Map<UUID, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        AtomicInteger total = new AtomicInteger();
        EventListener count1 = event -> {
            deliveries.computeIfAbsent(event.eventId(), id -> new AtomicInteger()).incrementAndGet();
            first.incrementAndGet();
            total.incrementAndGet();
        };
        EventListener count2 = event -> {
            deliveries.computeIfAbsent(event.eventId(), id -> new AtomicInteger()).incrementAndGet();
            second.incrementAndGet();
            total.incrementAndGet();
        };
        Set<UUID> otherGroup = ConcurrentHashMap.newKeySet();
        AtomicInteger otherTotal = new AtomicInteger();
        consumer("workers", "w1", Duration.ofMinutes(1), count1);
        consumer("workers", "w2", Duration.ofMinutes(1), count2);
        consumer("audit", "a1", Duration.ofMinutes(1), event -> {
            otherGroup.add(event.eventId());
            otherTotal.incrementAndGet();
        });

        List<RecordedEvent> sent = publish(count);

        await("every event in both groups", WAIT, () -> total.get() >= count && otherTotal.get() >= count);
        Thread.sleep(300);
        assertThat(total).hasValue(count);
        assertThat(first.get() + second.get()).isEqualTo(count);
        assertThat(deliveries.keySet()).isEqualTo(ids(sent));
        assertThat(deliveries.values()).allSatisfy(times -> assertThat(times).hasValue(1));
        assertThat(otherTotal).hasValue(count);
        assertThat(otherGroup).isEqualTo(ids(sent));
        assertThat(redis.xpending(streamKey, "workers").getTotal()).isZero();
    }

    @Test
    void entries_a_dead_consumer_left_pending_are_reclaimed_by_another() throws Exception {
        int count = 50;
        List<RecordedEvent> sent = publish(count);
        redis.xgroupCreate(streamKey, "workers", new StreamEntryID(0, 0), false);
        List<Map.Entry<String, List<StreamEntry>>> taken = redis.xreadGroup("workers", "dead",
                XReadGroupParams.xReadGroupParams().count(count),
                Map.of(streamKey, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
        assertThat(taken.get(0).getValue()).hasSize(count);
        Set<UUID> received = ConcurrentHashMap.newKeySet();
        AtomicInteger total = new AtomicInteger();

        consumer("workers", "survivor", Duration.ofMillis(300), event -> {
            received.add(event.eventId());
            total.incrementAndGet();
        });

        await("the dead consumer's entries", WAIT, () -> total.get() >= count);
        await("the acknowledgements", WAIT, () -> redis.xpending(streamKey, "workers").getTotal() == 0);
        assertThat(received).isEqualTo(ids(sent));
        assertThat(total).hasValue(count);
    }

    @Test
    void a_failing_listener_does_not_acknowledge() throws Exception {
        int count = 20;
        AtomicInteger attempts = new AtomicInteger();
        consumer("workers", "w1", Duration.ofMinutes(1), event -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("the read model is down");
        });

        publish(count);

        await("an attempt at each event", WAIT, () -> attempts.get() >= count);
        assertThat(redis.xpending(streamKey, "workers").getTotal()).isEqualTo(count);
        assertThat(redis.xpending(streamKey, "workers").getConsumerMessageCount()).containsEntry("w1", (long) count);
    }

    @Test
    void a_failed_entry_is_delivered_again_after_the_claim_idle_time_and_then_acknowledged() throws Exception {
        int count = 20;
        Map<UUID, AtomicInteger> attempts = new ConcurrentHashMap<>();
        Set<UUID> handled = ConcurrentHashMap.newKeySet();
        consumer("workers", "w1", Duration.ofMillis(300), event -> {
            if (attempts.computeIfAbsent(event.eventId(), id -> new AtomicInteger()).incrementAndGet() == 1) {
                throw new IllegalStateException("first attempt fails");
            }
            handled.add(event.eventId());
        });

        List<RecordedEvent> sent = publish(count);

        await("every event handled", WAIT, () -> handled.size() == count);
        await("the acknowledgements", WAIT, () -> redis.xpending(streamKey, "workers").getTotal() == 0);
        assertThat(handled).isEqualTo(ids(sent));
        assertThat(attempts.values()).allSatisfy(times -> assertThat(times.get()).isGreaterThanOrEqualTo(2));
    }

    @Test
    void an_entry_delivered_max_deliveries_times_moves_to_the_dead_letter_stream() throws Exception {
        int count = 5;
        Map<UUID, AtomicInteger> attempts = new ConcurrentHashMap<>();
        RedisStreamConsumer consumer = RedisStreamConsumer.builder(url, "workers", "w1")
                .streamKey(streamKey)
                .blockTimeout(Duration.ofMillis(100))
                .claimIdleTime(Duration.ofMillis(200))
                .maxDeliveries(2)
                .build();
        closeables.add(consumer);
        String deadLetters = consumer.deadLetterStreamKey();
        consumer.start(event -> {
            attempts.computeIfAbsent(event.eventId(), id -> new AtomicInteger()).incrementAndGet();
            throw new IllegalStateException("poison");
        });

        List<RecordedEvent> sent = publish(count);

        try {
            await("every entry dead-lettered", WAIT, () -> redis.xlen(deadLetters) == count);
            assertThat(redis.xpending(streamKey, "workers").getTotal()).isZero();
            assertThat(attempts.keySet()).isEqualTo(ids(sent));
            assertThat(attempts.values()).allSatisfy(times -> assertThat(times).hasValue(2));
            List<StreamEntry> dead = redis.xrange(deadLetters, "-", "+");
            assertThat(dead).extracting(entry -> entry.getFields().get(RedisStreamPublisher.FIELD_EVENT_ID))
                    .containsExactlyElementsOf(sent.stream().map(event -> event.eventId().toString()).toList());
            assertThat(dead).allSatisfy(entry -> assertThat(entry.getFields())
                    .containsEntry(RedisStreamConsumer.FIELD_GROUP, "workers")
                    .containsEntry(RedisStreamConsumer.FIELD_DELIVERIES, "2")
                    .containsKeys(RedisStreamConsumer.FIELD_ORIGINAL_ID, RedisStreamPublisher.FIELD_ENVELOPE));
        } finally {
            redis.del(deadLetters);
        }
    }

    @Test
    void max_length_trims_the_stream_approximately() {
        RedisStreamPublisher trimming = RedisStreamPublisher.builder(url).streamKey(streamKey).maxLength(100).build();
        closeables.add(trimming);

        for (int i = 1; i <= 1000; i++) {
            trimming.handle(TestEvents.event(i, "order.placed"));
        }

        assertThat(redis.xlen(streamKey)).isBetween(100L, 300L);
    }

    @Test
    void a_block_timeout_longer_than_the_client_socket_timeout_keeps_the_consumer_reading() throws Exception {
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        RedisStreamConsumer consumer = RedisStreamConsumer.builder(url, "slow-poll", "c1")
                .streamKey(streamKey)
                .blockTimeout(Duration.ofSeconds(3))
                .build();
        closeables.add(consumer);
        consumer.start(received::add);
        Thread.sleep(4_000);

        RecordedEvent sent = TestEvents.event(1, "order.placed");
        publisher.handle(sent);

        await("the event", WAIT, () -> received.size() == 1);
        assertThat(received).containsExactly(sent);
    }

    @Test
    void a_publisher_that_cannot_reach_redis_throws_so_the_subscription_retries() {
        RedisStreamPublisher unreachable = RedisStreamPublisher.builder("redis://127.0.0.1:1").build();
        closeables.add(unreachable);

        assertThatThrownBy(() -> unreachable.handle(TestEvents.event(1, "order.placed")))
                .isInstanceOf(JedisException.class);
    }

    @Test
    void a_consumer_cannot_be_started_twice() {
        RedisStreamConsumer consumer = consumer("workers", "w1", Duration.ofMinutes(1), event -> {});

        assertThatThrownBy(() -> consumer.start(event -> {}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already started");
    }
}
