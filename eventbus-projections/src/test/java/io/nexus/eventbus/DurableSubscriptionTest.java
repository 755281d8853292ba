package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nexus.eventstore.core.DuplicateEventException;
import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@PostgresTest
@Timeout(120)
class DurableSubscriptionTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final TestDatabase database;
    private final List<PostgresEventBus> buses = new ArrayList<>();

    DurableSubscriptionTest(TestDatabase database) {
        this.database = database;
    }

    @AfterEach
    void close_buses() {
        buses.forEach(PostgresEventBus::close);
    }

    private PostgresEventBus bus(UnaryOperator<PostgresEventBus.Builder> settings) {
        PostgresEventBus bus = settings.apply(PostgresEventBus.builder(database.dataSource())
                        .schema(database.schema())
                        .flushInterval(Duration.ofMillis(50)))
                .build();
        buses.add(bus);
        return bus;
    }

    private PostgresEventBus bus() {
        return bus(b -> b);
    }

    private static String unique(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    /** Emits {@code event}, retrying on terminated pooled connections; a retry is idempotent (same event id). */
    private static void emitSurely(EventBus bus, NewEvent event) {
        for (int attempt = 1; ; attempt++) {
            try {
                bus.emit(event);
                return;
            } catch (DuplicateEventException e) {
                return; // the attempt that reported a failure had committed
            } catch (EventStoreAccessException e) {
                if (attempt == 20) {
                    throw e;
                }
                sleep(50);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private long storedCheckpoint(String name) throws Exception {
        return queryLong("SELECT position FROM " + database.schema() + ".subscriptions WHERE name = '" + name + "'");
    }

    private long queryLong(String sql) throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private String queryString(String sql) throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }

    @Test
    void a_new_subscription_catches_up_from_the_beginning_then_follows_live_and_stores_its_checkpoint()
            throws Exception {
        PostgresEventBus bus = bus();
        String type = unique("catchup") + ".happened";
        for (int i = 0; i < 25; i++) {
            bus.emit(NewEvent.of(type, "{\"n\":" + i + "}"));
        }
        Deliveries deliveries = new Deliveries();
        String name = unique("sub-");

        DurableSubscription subscription = bus.subscribeDurable(name, type, deliveries);
        deliveries.awaitDistinct(25, WAIT);
        for (int i = 25; i < 40; i++) {
            bus.emit(NewEvent.of(type, "{\"n\":" + i + "}"));
        }

        deliveries.awaitDistinct(40, WAIT);
        assertThat(deliveries.all()).hasSize(40);
        List<Long> positions = new ArrayList<>();
        deliveries.all().forEach(e -> positions.add(e.position()));
        assertThat(positions).isSorted().doesNotHaveDuplicates();
        long last = positions.get(39);
        await("checkpoint stored").atMost(WAIT).until(() -> {
            try {
                return storedCheckpoint(name) >= last;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(subscription.isActive()).isTrue();
        assertThat(subscription.position()).isGreaterThanOrEqualTo(last);
    }

    @Test
    void a_restarted_subscription_resumes_after_its_checkpoint_without_redelivering() throws Exception {
        PostgresEventBus bus = bus();
        String type = unique("resume") + ".happened";
        String name = unique("sub-");
        Deliveries first = new Deliveries();
        DurableSubscription subscription = bus.subscribeDurable(name, type, first);
        for (int i = 0; i < 10; i++) {
            bus.emit(NewEvent.of(type, "{}"));
        }
        first.awaitDistinct(10, WAIT);
        subscription.close();
        for (int i = 0; i < 5; i++) {
            bus.emit(NewEvent.of(type, "{}"));
        }
        Deliveries second = new Deliveries();

        bus.subscribeDurable(name, type, second);

        second.awaitDistinct(5, WAIT);
        sleep(300);
        assertThat(first.all()).hasSize(10);
        assertThat(second.all()).hasSize(5);
        assertThat(second.distinctIds()).doesNotContainAnyElementsOf(first.distinctIds());
    }

    @Test
    void a_subscription_filters_by_type_pattern_and_by_category() throws Exception {
        PostgresEventBus bus =
                bus(b -> b.streamRouter(event -> StreamId.of(event.metadata().get("stream"))));
        String ns = unique("f");
        String orders = unique("order");
        String invoices = unique("invoice");
        Deliveries deliveries = new Deliveries();
        String name = unique("sub-");
        bus.subscribeDurable(name, ns + ".*", Set.of(orders), deliveries);

        bus.emit(NewEvent.of(ns + ".placed", "{}").withMetadata(java.util.Map.of("stream", orders + "-1")));
        bus.emit(NewEvent.of(ns + ".placed", "{}").withMetadata(java.util.Map.of("stream", invoices + "-1")));
        bus.emit(NewEvent.of("other." + ns, "{}").withMetadata(java.util.Map.of("stream", orders + "-2")));
        bus.emit(NewEvent.of(ns + ".shipped", "{}").withMetadata(java.util.Map.of("stream", orders + "-2")));

        deliveries.awaitDistinct(2, WAIT);
        sleep(300);
        assertThat(deliveries.all())
                .extracting(e -> e.type() + "@" + e.streamId().value())
                .containsExactly(ns + ".placed@" + orders + "-1", ns + ".shipped@" + orders + "-2");
        long head = bus.store().headPosition();
        await("the checkpoint passes the events the filter skipped, up to the head")
                .atMost(WAIT)
                .until(() -> {
                    try {
                        return storedCheckpoint(name) == head;
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
    }

    @Test
    void a_poison_event_is_retried_with_backoff_dead_lettered_and_the_rest_keep_flowing_and_redelivery_works()
            throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        PostgresEventBus bus = bus(b -> b.retryAttempts(2)
                .retryDelay(Duration.ofMillis(100))
                .exponentialBackoff(true)
                .meterRegistry(meters));
        String ns = unique("poison");
        String name = unique("sub-");
        AtomicBoolean healed = new AtomicBoolean();
        List<Long> poisonAttempts = new CopyOnWriteArrayList<>();
        Deliveries deliveries = new Deliveries();
        bus.subscribeDurable(name, ns + ".*", event -> {
            if (event.type().endsWith(".poison") && !healed.get()) {
                poisonAttempts.add(System.nanoTime());
                throw new IllegalStateException("cannot digest " + event.eventId());
            }
            deliveries.handle(event);
        });

        bus.emit(NewEvent.of(ns + ".before", "{}"));
        bus.emit(NewEvent.of(ns + ".poison", "{}"));
        for (int i = 0; i < 10; i++) {
            bus.emit(NewEvent.of(ns + ".after", "{}"));
        }

        deliveries.awaitDistinct(11, WAIT);
        assertThat(deliveries.types())
                .containsExactly(
                        ns + ".before",
                        ns + ".after",
                        ns + ".after",
                        ns + ".after",
                        ns + ".after",
                        ns + ".after",
                        ns + ".after",
                        ns + ".after",
                        ns + ".after",
                        ns + ".after",
                        ns + ".after");
        assertThat(poisonAttempts).hasSize(3);
        assertThat(poisonAttempts.get(1) - poisonAttempts.get(0))
                .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(poisonAttempts.get(2) - poisonAttempts.get(1))
                .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
        List<DeadLetter> dead = bus.deadLetters(name, 10);
        assertThat(dead).singleElement().satisfies(letter -> {
            assertThat(letter.subscription()).isEqualTo(name);
            assertThat(letter.type()).isEqualTo(ns + ".poison");
            assertThat(letter.attempts()).isEqualTo(3);
            assertThat(letter.error()).contains("IllegalStateException", "cannot digest " + letter.eventId());
        });
        assertThat(queryString("SELECT last_error FROM " + database.schema() + ".subscription_status WHERE name = '"
                        + name + "'"))
                .contains("cannot digest");
        assertThat(queryLong("SELECT dead_letters FROM " + database.schema() + ".subscription_status WHERE name = '"
                        + name + "'"))
                .isEqualTo(1);
        assertThat(meters.get("nexus.bus.retries")
                        .tag("subscription", name)
                        .counter()
                        .count())
                .isEqualTo(2);
        assertThat(meters.get("nexus.bus.dead.letters")
                        .tag("subscription", name)
                        .counter()
                        .count())
                .isEqualTo(1);

        boolean failedAgain = !bus.redeliver(dead.get(0).id()).get(30, TimeUnit.SECONDS);
        healed.set(true);
        boolean handled = bus.redeliver(dead.get(0).id()).get(30, TimeUnit.SECONDS);

        assertThat(failedAgain).isTrue();
        assertThat(handled).isTrue();
        assertThat(deliveries.types()).last().isEqualTo(ns + ".poison");
        assertThat(bus.deadLetters(name, 10)).isEmpty();
        assertThat(poisonAttempts).hasSize(6);
    }

    @Test
    void a_dead_letter_can_be_discarded_and_unknown_ones_are_refused() throws Exception {
        PostgresEventBus bus = bus(b -> b.retryAttempts(0));
        String ns = unique("discard");
        String name = unique("sub-");
        Deliveries after = new Deliveries();
        bus.subscribeDurable(name, ns + ".*", event -> {
            if (event.type().endsWith(".bad")) {
                throw new IllegalArgumentException("bad");
            }
            after.handle(event);
        });

        bus.emit(NewEvent.of(ns + ".bad", "{}"));
        bus.emit(NewEvent.of(ns + ".good", "{}"));
        after.awaitDistinct(1, WAIT);

        DeadLetter letter = bus.deadLetters(name, 10).get(0);
        assertThat(letter.attempts()).isEqualTo(1);
        assertThat(bus.discardDeadLetter(letter.id())).isTrue();
        assertThat(bus.discardDeadLetter(letter.id())).isFalse();
        assertThat(bus.deadLetters(name, 10)).isEmpty();
        assertThat(bus.redeliver(letter.id()))
                .failsWithin(Duration.ofSeconds(5))
                .withThrowableThat()
                .havingRootCause()
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void after_pg_terminate_backend_mid_run_subscriptions_resume_and_nothing_is_lost() throws Exception {
        PostgresEventBus bus = bus(b -> b.batchSize(20));
        String ns = unique("kill");
        Deliveries durable = new Deliveries();
        Deliveries inProcess = new Deliveries();
        bus.subscribeDurable(unique("sub-"), ns + ".*", durable);
        bus.subscribe(ns + ".*", inProcess);
        int total = 300;
        Set<UUID> emitted = new HashSet<>();

        for (int i = 0; i < total; i++) {
            NewEvent event = NewEvent.of(ns + ".n", "{\"n\":" + i + "}");
            emitSurely(bus, event);
            emitted.add(event.eventId());
            if (i % 60 == 30) {
                assertThat(database.terminateConnections()).isPositive();
            }
        }

        durable.awaitDistinct(total, WAIT);
        inProcess.awaitDistinct(total, WAIT);
        assertThat(durable.distinctIds()).isEqualTo(emitted);
        assertThat(inProcess.distinctIds()).isEqualTo(emitted);
        assertThat(inProcess.all()).hasSize(total);
    }

    @Test
    void two_buses_never_both_consume_one_subscription_and_the_survivor_takes_over() throws Exception {
        PostgresEventBus first = bus(b -> b.leaseDuration(Duration.ofSeconds(2)).owner("first"));
        PostgresEventBus second =
                bus(b -> b.leaseDuration(Duration.ofSeconds(2)).owner("second"));
        String ns = unique("lease");
        String name = unique("sub-");
        Deliveries deliveries = new Deliveries();
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        EventListener listener = event -> {
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            try {
                deliveries.handle(event);
            } finally {
                concurrent.decrementAndGet();
            }
        };
        DurableSubscription a = first.subscribeDurable(name, ns + ".*", listener);
        DurableSubscription b = second.subscribeDurable(name, ns + ".*", listener);
        await("one is active").atMost(WAIT).until(() -> a.isActive() || b.isActive());
        for (int i = 0; i < 50; i++) {
            first.emit(NewEvent.of(ns + ".n", "{}"));
        }
        deliveries.awaitDistinct(50, WAIT);
        assertThat(a.isActive() && b.isActive()).isFalse();
        DurableSubscription owner = a.isActive() ? a : b;
        DurableSubscription survivor = owner == a ? b : a;
        String survivorOwner = owner == a ? "second" : "first";

        owner.close();
        for (int i = 0; i < 50; i++) {
            first.emit(NewEvent.of(ns + ".n", "{}"));
        }

        deliveries.awaitDistinct(100, WAIT);
        assertThat(survivor.isActive()).isTrue();
        assertThat(owner.isActive()).isFalse();
        assertThat(deliveries.all()).hasSize(100);
        assertThat(maxConcurrent.get()).isEqualTo(1);
        assertThat(queryString(
                        "SELECT owner FROM " + database.schema() + ".subscription_status WHERE name = '" + name + "'"))
                .isEqualTo(survivorOwner);
    }

    @Test
    void a_listener_slower_than_the_lease_keeps_it_and_no_other_bus_consumes_meanwhile() throws Exception {
        PostgresEventBus first = bus(b -> b.leaseDuration(Duration.ofSeconds(1)).owner("slow-first"));
        PostgresEventBus second =
                bus(b -> b.leaseDuration(Duration.ofSeconds(1)).owner("slow-second"));
        String ns = unique("slow");
        String name = unique("sub-");
        Deliveries deliveries = new Deliveries();
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        AtomicBoolean slept = new AtomicBoolean();
        EventListener listener = event -> {
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            try {
                if (slept.compareAndSet(false, true)) {
                    Thread.sleep(3_000);
                }
                deliveries.handle(event);
            } finally {
                concurrent.decrementAndGet();
            }
        };
        DurableSubscription a = first.subscribeDurable(name, ns + ".*", listener);
        await("the first bus is active").atMost(WAIT).until(a::isActive);
        DurableSubscription b = second.subscribeDurable(name, ns + ".*", listener);

        for (int i = 0; i < 5; i++) {
            first.emit(NewEvent.of(ns + ".n", "{}"));
        }

        deliveries.awaitDistinct(5, WAIT);
        assertThat(deliveries.all()).hasSize(5);
        assertThat(maxConcurrent.get()).isEqualTo(1);
        assertThat(a.isActive()).isTrue();
        assertThat(b.isActive()).isFalse();
    }

    @Test
    void at_least_once_with_exact_counts_when_many_threads_emit_at_once() throws Exception {
        PostgresEventBus bus =
                bus(b -> b.streamRouter(event -> StreamId.of(event.metadata().get("stream"))));
        String ns = unique("burst");
        Deliveries deliveries = new Deliveries();
        bus.subscribeDurable(unique("sub-"), ns + ".*", deliveries);
        int threads = 8;
        int perThread = 50;
        CyclicBarrier start = new CyclicBarrier(threads);
        Set<UUID> emitted = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<Thread> emitters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String stream = ns + "-" + t;
            emitters.add(new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        NewEvent event = NewEvent.of(ns + ".n", "{}").withMetadata(java.util.Map.of("stream", stream));
                        bus.emit(event);
                        emitted.add(event.eventId());
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }));
        }

        emitters.forEach(Thread::start);
        for (Thread emitter : emitters) {
            emitter.join();
        }

        deliveries.awaitDistinct(threads * perThread, WAIT);
        sleep(300);
        assertThat(emitted).hasSize(threads * perThread);
        assertThat(deliveries.distinctIds()).isEqualTo(emitted);
        assertThat(deliveries.all()).hasSize(threads * perThread);
        List<Long> positions = new ArrayList<>();
        deliveries.all().forEach(e -> positions.add(e.position()));
        assertThat(positions).isSorted();
    }

    @Test
    void metrics_count_emitted_and_processed_events_and_show_lag_and_active_subscriptions() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        PostgresEventBus bus = bus(b -> b.meterRegistry(meters));
        String ns = unique("metric");
        String name = unique("sub-");
        Deliveries deliveries = new Deliveries();
        bus.subscribeDurable(name, ns + ".*", deliveries);

        for (int i = 0; i < 5; i++) {
            bus.emit(NewEvent.of(ns + ".n", "{}"));
        }

        deliveries.awaitDistinct(5, WAIT);
        assertThat(meters.get("nexus.bus.events.emitted")
                        .tag("type", ns + ".n")
                        .counter()
                        .count())
                .isEqualTo(5);
        // The meters are updated just after the listener returns.
        await("5 timed")
                .atMost(WAIT)
                .until(() -> meters.get("nexus.bus.processing.time")
                                .tag("subscription", name)
                                .timer()
                                .count()
                        == 5);
        assertThat(meters.get("nexus.bus.events.processed")
                        .tag("subscription", name)
                        .counter()
                        .count())
                .isEqualTo(5);
        assertThat(meters.get("nexus.bus.subscriptions.active")
                        .tag("kind", "durable")
                        .gauge()
                        .value())
                .isEqualTo(1);
        await("lag drops to 0")
                .atMost(WAIT)
                .until(() -> meters.get("nexus.bus.subscription.lag")
                                .tag("subscription", name)
                                .gauge()
                                .value()
                        == 0);
        bus.close();
        assertThat(meters.find("nexus.bus.subscriptions.active").gauges()).isEmpty();
        assertThat(meters.find("nexus.bus.subscription.lag").gauges()).isEmpty();
    }

    @Test
    void blank_names_bad_patterns_and_bad_categories_are_refused_at_the_call() {
        PostgresEventBus bus = bus();

        assertThatThrownBy(() -> bus.subscribeDurable(" ", "*", event -> {}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> bus.subscribeDurable("x", "a.*.b", event -> {}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> bus.subscribeDurable("x", "*", Set.of("has-dash"), event -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has-dash");
    }

    @Test
    void an_event_emitted_by_a_durable_listener_carries_the_correlation_and_causation_of_the_one_it_handles()
            throws Exception {
        PostgresEventBus bus = bus();
        String ns = unique("saga");
        Deliveries billed = new Deliveries();
        bus.subscribeDurable(unique("sub-"), ns + ".placed", event -> bus.emit(NewEvent.of(ns + ".billed", "{}")));
        bus.subscribeDurable(unique("sub-"), ns + ".billed", billed);
        NewEvent placed = NewEvent.of(ns + ".placed", "{}");

        bus.emit(placed);

        billed.awaitDistinct(1, WAIT);
        assertThat(billed.all().get(0).correlationId()).isEqualTo(placed.eventId());
        assertThat(billed.all().get(0).causationId()).isEqualTo(placed.eventId());
    }

    @Test
    void a_name_taken_by_a_projection_is_refused() {
        PostgresEventBus bus = bus();
        String name = unique("proj-");
        database.execute("INSERT INTO " + database.schema() + ".subscriptions (name, kind) VALUES ('" + name
                + "', 'projection')");

        assertThatThrownBy(() -> bus.subscribeDurable(name, "*", event -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("projection");
    }

    @Test
    void one_bus_runs_a_name_once() {
        PostgresEventBus bus = bus();
        String name = unique("sub-");
        bus.subscribeDurable(name, "*", event -> {});

        assertThatThrownBy(() -> bus.subscribeDurable(name, "*", event -> {}))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void a_lease_left_by_a_dead_owner_is_respected_until_it_expires_then_taken_over() throws Exception {
        PostgresEventBus bus = bus(b -> b.leaseDuration(Duration.ofSeconds(1)));
        String name = unique("sub-");
        String ns = unique("orphan");
        database.execute("INSERT INTO " + database.schema() + ".subscriptions (name, owner, fencing_token,"
                + " lease_expires_at) VALUES ('" + name + "', 'dead-process', 7, now() + interval '1 hour')");
        Deliveries deliveries = new Deliveries();
        DurableSubscription subscription = bus.subscribeDurable(name, ns + ".*", deliveries);
        bus.emit(NewEvent.of(ns + ".n", "{}"));
        sleep(1_000);
        boolean activeWhileLeased = subscription.isActive();
        int deliveredWhileLeased = deliveries.all().size();

        database.execute("UPDATE " + database.schema() + ".subscriptions SET lease_expires_at = now() WHERE name = '"
                + name + "'");

        deliveries.awaitDistinct(1, WAIT);
        assertThat(activeWhileLeased).isFalse();
        assertThat(deliveredWhileLeased).isZero();
        assertThat(subscription.isActive()).isTrue();
        assertThat(queryLong("SELECT fencing_token FROM " + database.schema() + ".subscriptions WHERE name = '" + name
                        + "'"))
                .isEqualTo(8);
    }
}
