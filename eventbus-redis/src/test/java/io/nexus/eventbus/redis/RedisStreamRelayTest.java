package io.nexus.eventbus.redis;

import static io.nexus.eventbus.relay.TestBroker.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.relay.RelayContract;
import io.nexus.eventbus.relay.TestBroker;
import io.nexus.eventbus.relay.TestEvents;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.RecordedEvent;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

@Timeout(60)
class RedisStreamRelayTest extends RelayContract<RedisStreamPublisher> {
    private String url;
    private String streamKey;
    private RedisClient redis;

    @Override
    protected RedisStreamPublisher connect() {
        url = TestBroker.REDIS.url();
        streamKey = TestBroker.REDIS.uniqueName("events");
        redis = RedisClient.create(URI.create(url));
        return RedisStreamPublisher.builder(url)
                .streamKey(streamKey)
                .personalDataKeys(keys())
                .build();
    }

    @Override
    protected void disconnect() {
        if (redis != null) {
            redis.del(streamKey);
            redis.close();
        }
    }

    private RedisStreamConsumer consumer(String group, String name, Duration claimIdleTime, EventListener listener) {
        return consumer(group, name, claimIdleTime, EventTypeRegistry.rawJson(), listener);
    }

    private RedisStreamConsumer consumer(
            String group, String name, Duration claimIdleTime, EventTypeRegistry types, EventListener listener) {
        RedisStreamConsumer consumer = closeAfter(RedisStreamConsumer.builder(url, group, name)
                .streamKey(streamKey)
                .batchSize(10)
                .blockTimeout(Duration.ofMillis(100))
                .claimIdleTime(claimIdleTime)
                .typeRegistry(types)
                .personalDataKeys(keys())
                .build());
        consumer.start(listener);
        return consumer;
    }

    @Override
    protected void startConsumer(String name, EventTypeRegistry types, EventListener listener) {
        consumer(name, "c1", Duration.ofSeconds(1), types, listener);
    }

    @Override
    protected String publishedEnvelope(RecordedEvent event) {
        String entryId = publisher().publish(event);
        return redis.xrange(streamKey, entryId, entryId).get(0).getFields().get(RedisStreamPublisher.FIELD_ENVELOPE);
    }

    private List<RecordedEvent> publish(int count) {
        List<RecordedEvent> events = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            RecordedEvent event = TestEvents.event(i, "order.placed");
            publisher().handle(event);
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
    void each_entry_carries_the_event_id_and_type_outside_the_envelope() {
        RecordedEvent sent = TestEvents.event(1, "user.registered");

        String entryId = publisher().publish(sent);

        List<StreamEntry> entries = redis.xrange(streamKey, entryId, entryId);
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).getFields())
                .containsEntry(
                        RedisStreamPublisher.FIELD_EVENT_ID, sent.eventId().toString())
                .containsEntry(RedisStreamPublisher.FIELD_TYPE, "user.registered")
                .containsKey(RedisStreamPublisher.FIELD_ENVELOPE);
    }

    @Test
    void two_consumers_in_one_group_receive_each_event_exactly_once_and_another_group_receives_all() throws Exception {
        int count = 300;
        Map<UUID, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        AtomicInteger total = new AtomicInteger();
        EventListener count1 = event -> {
            deliveries
                    .computeIfAbsent(event.eventId(), id -> new AtomicInteger())
                    .incrementAndGet();
            first.incrementAndGet();
            total.incrementAndGet();
        };
        EventListener count2 = event -> {
            deliveries
                    .computeIfAbsent(event.eventId(), id -> new AtomicInteger())
                    .incrementAndGet();
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
        List<Map.Entry<String, List<StreamEntry>>> taken = redis.xreadGroup(
                "workers",
                "dead",
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
        await(
                "the acknowledgements",
                WAIT,
                () -> redis.xpending(streamKey, "workers").getTotal() == 0);
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
        assertThat(redis.xpending(streamKey, "workers").getConsumerMessageCount())
                .containsEntry("w1", (long) count);
    }

    @Test
    void a_failed_entry_is_delivered_again_after_the_claim_idle_time_and_then_acknowledged() throws Exception {
        int count = 20;
        Map<UUID, AtomicInteger> attempts = new ConcurrentHashMap<>();
        Set<UUID> handled = ConcurrentHashMap.newKeySet();
        consumer("workers", "w1", Duration.ofMillis(300), event -> {
            if (attempts.computeIfAbsent(event.eventId(), id -> new AtomicInteger())
                            .incrementAndGet()
                    == 1) {
                throw new IllegalStateException("first attempt fails");
            }
            handled.add(event.eventId());
        });

        List<RecordedEvent> sent = publish(count);

        await("every event handled", WAIT, () -> handled.size() == count);
        await(
                "the acknowledgements",
                WAIT,
                () -> redis.xpending(streamKey, "workers").getTotal() == 0);
        assertThat(handled).isEqualTo(ids(sent));
        assertThat(attempts.values())
                .allSatisfy(times -> assertThat(times.get()).isGreaterThanOrEqualTo(2));
    }

    @Test
    void an_entry_delivered_max_deliveries_times_moves_to_the_dead_letter_stream() throws Exception {
        int count = 5;
        Map<UUID, AtomicInteger> attempts = new ConcurrentHashMap<>();
        RedisStreamConsumer consumer = closeAfter(RedisStreamConsumer.builder(url, "workers", "w1")
                .streamKey(streamKey)
                .blockTimeout(Duration.ofMillis(100))
                .claimIdleTime(Duration.ofMillis(200))
                .maxDeliveries(2)
                .build());
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
            assertThat(dead)
                    .extracting(entry -> entry.getFields().get(RedisStreamPublisher.FIELD_EVENT_ID))
                    .containsExactlyElementsOf(sent.stream()
                            .map(event -> event.eventId().toString())
                            .toList());
            assertThat(dead)
                    .allSatisfy(entry -> assertThat(entry.getFields())
                            .containsEntry(RedisStreamConsumer.FIELD_GROUP, "workers")
                            .containsEntry(RedisStreamConsumer.FIELD_DELIVERIES, "2")
                            .containsKeys(RedisStreamConsumer.FIELD_ORIGINAL_ID, RedisStreamPublisher.FIELD_ENVELOPE));
        } finally {
            redis.del(deadLetters);
        }
    }

    @Test
    void max_length_trims_the_stream_approximately() {
        RedisStreamPublisher trimming = closeAfter(RedisStreamPublisher.builder(url)
                .streamKey(streamKey)
                .maxLength(100)
                .build());

        for (int i = 1; i <= 1000; i++) {
            trimming.handle(TestEvents.event(i, "order.placed"));
        }

        assertThat(redis.xlen(streamKey)).isBetween(100L, 300L);
    }

    @Test
    void a_block_timeout_longer_than_the_client_socket_timeout_keeps_the_consumer_reading() throws Exception {
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        RedisStreamConsumer consumer = closeAfter(RedisStreamConsumer.builder(url, "slow-poll", "c1")
                .streamKey(streamKey)
                .blockTimeout(Duration.ofSeconds(3))
                .build());
        consumer.start(received::add);
        Thread.sleep(4_000);

        RecordedEvent sent = TestEvents.event(1, "order.placed");
        publisher().handle(sent);

        await("the event", WAIT, () -> received.size() == 1);
        assertThat(received).containsExactly(sent);
    }

    @Test
    void a_publisher_that_cannot_reach_redis_throws_so_the_subscription_retries() {
        RedisStreamPublisher unreachable =
                closeAfter(RedisStreamPublisher.builder("redis://127.0.0.1:1").build());

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
