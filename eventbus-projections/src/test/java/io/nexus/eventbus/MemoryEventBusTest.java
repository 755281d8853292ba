package io.nexus.eventbus;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class MemoryEventBusTest {
    private final List<MemoryEventBus> buses = new ArrayList<>();

    @AfterEach
    void close_buses() {
        buses.forEach(MemoryEventBus::close);
    }

    private MemoryEventBus bus(UnaryOperator<MemoryEventBus.Builder> settings) {
        MemoryEventBus bus = settings.apply(MemoryEventBus.builder()).build();
        buses.add(bus);
        return bus;
    }

    private MemoryEventBus bus() {
        return bus(b -> b);
    }

    /** Waits until a single-worker bus has dispatched everything emitted before. */
    private static void drain(EventBus bus) throws InterruptedException {
        CountDownLatch drained = new CountDownLatch(1);
        String type = Recorder.DRAIN_PREFIX + UUID.randomUUID();
        SubscriptionId id = bus.subscribe(type, event -> drained.countDown(), Integer.MIN_VALUE);
        bus.emit(NewEvent.of(type, "drain"), Integer.MIN_VALUE);
        assertThat(drained.await(10, SECONDS)).as("drained").isTrue();
        bus.unsubscribe(id);
    }

    /** A listener that holds the (single) worker until released. */
    private static final class Gate implements EventListener {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);

        @Override
        public void handle(RecordedEvent event) throws InterruptedException {
            entered.countDown();
            assertThat(released.await(10, SECONDS)).isTrue();
        }

        void closeOn(EventBus bus) throws InterruptedException {
            bus.subscribe("test.gate", this);
            bus.emit(NewEvent.of("test.gate", "gate"));
            assertThat(entered.await(10, SECONDS)).as("worker entered the gate").isTrue();
        }

        void open() {
            released.countDown();
        }
    }

    private static NewEvent event(String type) {
        return NewEvent.of(type, type + "-payload");
    }

    @Test
    void handlers_of_one_event_run_highest_priority_first_and_ties_in_subscription_order() throws Exception {
        MemoryEventBus bus = bus();
        List<String> calls = new CopyOnWriteArrayList<>();
        bus.subscribe("user.registered", e -> calls.add("low"), 1);
        bus.subscribe("user.registered", e -> calls.add("high"), 10);
        bus.subscribe("user.registered", e -> calls.add("middle-first"), 5);
        bus.subscribe("user.*", e -> calls.add("middle-second"), 5);
        bus.subscribe("user.registered", e -> calls.add("default"));

        bus.emit(event("user.registered"));
        drain(bus);

        assertThat(calls).containsExactly("high", "middle-first", "middle-second", "low", "default");
    }

    @Test
    void queued_events_are_dispatched_highest_priority_first_then_in_emit_order() throws Exception {
        MemoryEventBus bus = bus(b -> b.workerCount(1));
        Recorder recorder = new Recorder();
        bus.subscribe("job.*", recorder);
        Gate gate = new Gate();
        gate.closeOn(bus);

        bus.emit(event("job.low"), 1);
        bus.emit(event("job.high"), 10);
        bus.emit(event("job.middle.a"), 5);
        bus.emit(event("job.default"));
        bus.emit(event("job.middle.b"), 5);
        bus.emit(event("job.negative"), -3);
        bus.emit(event("job.highest"), Integer.MAX_VALUE);
        gate.open();
        recorder.awaitCount(7);

        assertThat(recorder.types())
                .containsExactly(
                        "job.highest",
                        "job.high",
                        "job.middle.a",
                        "job.middle.b",
                        "job.low",
                        "job.default",
                        "job.negative");
    }

    @Test
    void each_wildcard_form_receives_exactly_the_matching_types() throws Exception {
        MemoryEventBus bus = bus();
        Recorder all = new Recorder();
        Recorder users = new Recorder();
        Recorder errors = new Recorder();
        Recorder registered = new Recorder();
        bus.subscribe("*", all);
        bus.subscribe("user.*", users);
        bus.subscribe("*.error", errors);
        bus.subscribe("user.registered", registered);

        for (String type : List.of(
                "user.registered",
                "user.profile.changed",
                "user.error",
                "payment.error",
                "users.x",
                "error",
                "order.created")) {
            bus.emit(event(type));
        }
        drain(bus);

        assertThat(all.types())
                .containsExactly(
                        "user.registered",
                        "user.profile.changed",
                        "user.error",
                        "payment.error",
                        "users.x",
                        "error",
                        "order.created");
        assertThat(users.types()).containsExactly("user.registered", "user.profile.changed", "user.error");
        assertThat(errors.types()).containsExactly("user.error", "payment.error");
        assertThat(registered.types()).containsExactly("user.registered");
    }

    @Test
    void a_malformed_pattern_is_refused_when_subscribing_and_nothing_is_subscribed() {
        MemoryEventBus bus = bus();

        Throwable thrown = catchThrowable(() -> bus.subscribe("user*", event -> {}));

        assertThat(thrown).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'user*'");
        assertThat(bus.subscriptionCount()).isZero();
    }

    @Test
    void an_unsubscribed_listener_receives_nothing_more() throws Exception {
        MemoryEventBus bus = bus();
        Recorder recorder = new Recorder();
        SubscriptionId id = bus.subscribe("order.*", recorder);
        bus.emit(event("order.created"));
        drain(bus);

        boolean removed = bus.unsubscribe(id);
        bus.emit(event("order.shipped"));
        drain(bus);

        assertThat(removed).isTrue();
        assertThat(recorder.types()).containsExactly("order.created");
        assertThat(bus.unsubscribe(id)).isFalse();
        assertThat(bus.subscriptionCount()).isZero();
    }

    @Test
    void wait_for_completes_with_the_next_matching_event() {
        MemoryEventBus bus = bus();
        NewEvent created = event("order.created");

        CompletableFuture<RecordedEvent> next = bus.waitFor("order.*", Duration.ofSeconds(10));
        bus.emit(event("user.registered"));
        bus.emit(created);
        bus.emit(event("order.shipped"));

        assertThat(next)
                .succeedsWithin(Duration.ofSeconds(10))
                .extracting(RecordedEvent::eventId)
                .isEqualTo(created.eventId());
    }

    @Test
    void wait_for_fails_with_a_timeout_exception_when_nothing_matches() {
        MemoryEventBus bus = bus();

        CompletableFuture<RecordedEvent> next = bus.waitFor("never.*", Duration.ofMillis(50));
        bus.emit(event("other.thing"));

        assertThat(next)
                .failsWithin(Duration.ofSeconds(10))
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(TimeoutException.class)
                .withMessageContaining("'never.*'");
    }

    @Test
    void wait_for_refuses_bad_arguments_and_fails_pending_waits_on_close() {
        MemoryEventBus bus = bus();

        assertThatThrownBy(() -> bus.waitFor("*.*", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> bus.waitFor("x", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        CompletableFuture<RecordedEvent> pending = bus.waitFor("x", Duration.ofMinutes(1));
        bus.close();

        assertThat(pending)
                .failsWithin(Duration.ofSeconds(10))
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(IllegalStateException.class);
    }

    private record Failure(SubscriptionId subscription, String type, Throwable error) {}

    @Test
    void a_failing_listener_does_not_stop_the_others_and_is_reported() throws Exception {
        List<Failure> failures = new CopyOnWriteArrayList<>();
        MemoryEventBus bus = bus(b -> b.failureListener(
                (subscription, event, error) -> failures.add(new Failure(subscription, event.type(), error))));
        Recorder before = new Recorder();
        Recorder after = new Recorder();
        SubscriptionId throwing = bus.subscribe(
                "user.*",
                e -> {
                    throw new IllegalStateException("boom");
                },
                10);
        bus.subscribe("user.*", before, 5);
        SubscriptionId asserting = bus.subscribe(
                "user.*",
                e -> {
                    throw new AssertionError("bad");
                },
                1);
        bus.subscribe("user.*", after, 0);

        bus.emit(event("user.registered"));
        bus.emit(event("user.deleted"));
        drain(bus);

        assertThat(before.types()).containsExactly("user.registered", "user.deleted");
        assertThat(after.types()).containsExactly("user.registered", "user.deleted");
        assertThat(failures)
                .extracting(Failure::subscription)
                .containsExactly(throwing, asserting, throwing, asserting);
        assertThat(failures.get(0).error())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("boom");
        assertThat(failures.get(1).error()).isInstanceOf(AssertionError.class).hasMessage("bad");
    }

    @Test
    void a_throwing_failure_listener_does_not_stop_dispatch() throws Exception {
        MemoryEventBus bus = bus(b -> b.failureListener((subscription, event, error) -> {
            throw new IllegalStateException("listener broke too");
        }));
        Recorder recorder = new Recorder();
        bus.subscribe(
                "x",
                e -> {
                    throw new IllegalStateException("boom");
                },
                1);
        bus.subscribe("x", recorder);

        bus.emit(event("x"));
        drain(bus);

        assertThat(recorder.types()).containsExactly("x");
    }

    @Test
    void events_emitted_while_handling_carry_its_correlation_and_take_its_id_as_causation() throws Exception {
        MemoryEventBus bus = bus();
        bus.subscribe("order.placed", e -> bus.emit(event("payment.requested")));
        bus.subscribe("payment.requested", e -> bus.emit(event("receipt.sent")));
        Recorder recorder = new Recorder();
        bus.subscribe("*", recorder);
        NewEvent placed = event("order.placed");

        bus.emit(placed);
        recorder.awaitCount(3);

        RecordedEvent order = recorder.single("order.placed");
        RecordedEvent payment = recorder.single("payment.requested");
        RecordedEvent receipt = recorder.single("receipt.sent");
        assertThat(order.correlationId()).isNull();
        assertThat(order.causationId()).isNull();
        assertThat(payment.correlationId()).isEqualTo(placed.eventId());
        assertThat(payment.causationId()).isEqualTo(placed.eventId());
        assertThat(receipt.correlationId()).isEqualTo(placed.eventId());
        assertThat(receipt.causationId()).isEqualTo(payment.eventId());
    }

    @Test
    void a_given_correlation_id_is_carried_and_explicit_ids_of_a_child_are_kept() throws Exception {
        MemoryEventBus bus = bus();
        UUID conversation = UUID.randomUUID();
        UUID ownCorrelation = UUID.randomUUID();
        UUID ownCausation = UUID.randomUUID();
        bus.subscribe("order.placed", e -> {
            bus.emit(event("payment.requested"));
            bus.emit(event("audit.logged").withCorrelationId(ownCorrelation).withCausationId(ownCausation));
        });
        Recorder recorder = new Recorder();
        bus.subscribe("*", recorder);
        NewEvent placed = event("order.placed").withCorrelationId(conversation);

        bus.emit(placed);
        bus.emit(event("unrelated.thing"));
        recorder.awaitCount(4);

        assertThat(recorder.single("payment.requested").correlationId()).isEqualTo(conversation);
        assertThat(recorder.single("payment.requested").causationId()).isEqualTo(placed.eventId());
        assertThat(recorder.single("audit.logged").correlationId()).isEqualTo(ownCorrelation);
        assertThat(recorder.single("audit.logged").causationId()).isEqualTo(ownCausation);
        assertThat(recorder.single("unrelated.thing").correlationId()).isNull();
        assertThat(recorder.single("unrelated.thing").causationId()).isNull();
    }

    @Test
    void accepted_events_get_a_stream_per_type_gap_free_versions_and_positions() throws Exception {
        MemoryEventBus bus = bus();
        Recorder recorder = new Recorder();
        bus.subscribe("*", recorder);

        bus.emit(event("user.registered").withMetadata(Map.of("tenant", "t1")).withSource("signup"));
        bus.emit(event("order.created"));
        bus.emit(event("user.registered"));
        recorder.awaitCount(3);

        List<RecordedEvent> events = recorder.events();
        assertThat(events)
                .extracting(RecordedEvent::streamId)
                .containsExactly(
                        StreamId.of("user.registered"), StreamId.of("order.created"), StreamId.of("user.registered"));
        assertThat(events).extracting(RecordedEvent::streamVersion).containsExactly(1L, 1L, 2L);
        assertThat(events).extracting(RecordedEvent::position).containsExactly(1L, 2L, 3L);
        assertThat(events.get(0).metadata()).containsEntry("tenant", "t1");
        assertThat(events.get(0).source()).isEqualTo("signup");
        assertThat(events.get(0).data()).isEqualTo("user.registered-payload");
    }

    @Test
    void a_stream_router_chooses_the_stream() throws Exception {
        MemoryEventBus bus =
                bus(b -> b.streamRouter(e -> StreamId.of("order", e.metadata().get("order"))));
        Recorder recorder = new Recorder();
        bus.subscribe("*", recorder);

        bus.emit(event("order.created").withMetadata(Map.of("order", "42")));
        bus.emit(event("order.shipped").withMetadata(Map.of("order", "42")));
        recorder.awaitCount(2);

        assertThat(recorder.events()).extracting(RecordedEvent::streamId).containsOnly(StreamId.of("order-42"));
        assertThat(recorder.events()).extracting(RecordedEvent::streamVersion).containsExactly(1L, 2L);
        assertThat(recorder.events().get(0).category()).isEqualTo("order");
    }

    @Test
    void a_full_queue_makes_emit_wait_then_fail_with_bus_overloaded_and_drops_nothing() throws Exception {
        MemoryEventBus bus = bus(b -> b.workerCount(1).maxQueueSize(3).emitTimeout(Duration.ofMillis(50)));
        Recorder recorder = new Recorder();
        bus.subscribe("load.*", recorder);
        Gate gate = new Gate();
        gate.closeOn(bus);
        bus.emit(event("load.1"));
        bus.emit(event("load.2"));
        bus.emit(event("load.3"));

        Throwable thrown = catchThrowable(() -> bus.emit(event("load.4")));

        assertThat(thrown).isInstanceOf(BusOverloadedException.class).hasMessageContaining("'load.4'");
        BusOverloadedException overloaded = (BusOverloadedException) thrown;
        assertThat(overloaded.maxQueueSize()).isEqualTo(3);
        assertThat(overloaded.eventType()).isEqualTo("load.4");
        assertThat(overloaded.emitTimeout()).isEqualTo(Duration.ofMillis(50));
        assertThat(bus.queuedCount()).isEqualTo(3);
        gate.open();
        recorder.awaitCount(3);
        bus.emit(event("load.5"));
        recorder.awaitCount(4);
        assertThat(recorder.types()).containsExactly("load.1", "load.2", "load.3", "load.5");
        assertThat(recorder.events()).extracting(RecordedEvent::position).containsExactly(2L, 3L, 4L, 5L);
    }

    @Test
    void a_blocked_emit_goes_through_once_a_worker_makes_space() throws Exception {
        MemoryEventBus bus = bus(b -> b.workerCount(1).maxQueueSize(1).emitTimeout(Duration.ofSeconds(30)));
        Recorder recorder = new Recorder();
        bus.subscribe("load.*", recorder);
        Gate gate = new Gate();
        gate.closeOn(bus);
        bus.emit(event("load.1"));
        CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> bus.emit(event("load.2")));
        Thread emitter = awaitBlockedEmitter();

        assertThat(blocked).isNotDone();
        assertThat(emitter.getState()).isEqualTo(Thread.State.TIMED_WAITING);
        gate.open();

        assertThat(blocked).succeedsWithin(Duration.ofSeconds(10));
        recorder.awaitCount(2);
        assertThat(recorder.types()).containsExactly("load.1", "load.2");
    }

    /** The thread parked in {@code emit} waiting for queue space; polls the thread states with a deadline. */
    private static Thread awaitBlockedEmitter() throws InterruptedException {
        long deadline = System.nanoTime() + SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (Map.Entry<Thread, StackTraceElement[]> entry :
                    Thread.getAllStackTraces().entrySet()) {
                for (StackTraceElement frame : entry.getValue()) {
                    if (frame.getClassName().equals(MemoryEventBus.class.getName())
                            && frame.getMethodName().equals("acquireSpace")
                            && entry.getKey().getState() == Thread.State.TIMED_WAITING) {
                        return entry.getKey();
                    }
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no thread blocked in emit within 10 s");
    }

    @RepeatedTest(3)
    void many_threads_emitting_at_once_deliver_every_event_exactly_once() throws Exception {
        int threads = 8;
        int perThread = 500;
        int total = threads * perThread;
        MemoryEventBus bus = bus(b -> b.workerCount(4).maxQueueSize(16).emitTimeout(Duration.ofSeconds(30)));
        Set<UUID> seen = ConcurrentHashMap.newKeySet();
        Set<Long> positions = ConcurrentHashMap.newKeySet();
        Map<StreamId, Set<Long>> versions = new ConcurrentHashMap<>();
        AtomicInteger deliveries = new AtomicInteger();
        AtomicInteger wildcardDeliveries = new AtomicInteger();
        CountDownLatch delivered = new CountDownLatch(total);
        bus.subscribe("load.*", e -> {
            deliveries.incrementAndGet();
            seen.add(e.eventId());
            positions.add(e.position());
            versions.computeIfAbsent(e.streamId(), s -> ConcurrentHashMap.newKeySet())
                    .add(e.streamVersion());
            delivered.countDown();
        });
        bus.subscribe("*", e -> wildcardDeliveries.incrementAndGet(), -1);
        CyclicBarrier start = new CyclicBarrier(threads);
        List<CompletableFuture<Void>> emitters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String type = "load.t" + t;
            emitters.add(CompletableFuture.runAsync(
                    () -> {
                        try {
                            start.await(10, SECONDS);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                        for (int i = 0; i < perThread; i++) {
                            bus.emit(event(type), i % 3);
                        }
                    },
                    runnable -> new Thread(runnable, "emitter").start()));
        }

        CompletableFuture.allOf(emitters.toArray(new CompletableFuture<?>[0])).get(30, SECONDS);
        assertThat(delivered.await(30, SECONDS)).as("all delivered").isTrue();
        bus.close();

        assertThat(deliveries).hasValue(total);
        assertThat(wildcardDeliveries).hasValue(total);
        assertThat(seen).hasSize(total);
        assertThat(positions)
                .containsExactlyInAnyOrderElementsOf(
                        LongStream.rangeClosed(1, total).boxed().collect(Collectors.toList()));
        assertThat(versions).hasSize(threads);
        assertThat(versions.values())
                .allSatisfy(v -> assertThat(v)
                        .containsExactlyInAnyOrderElementsOf(
                                LongStream.rangeClosed(1, perThread).boxed().collect(Collectors.toList())));
    }

    @Test
    void close_dispatches_what_was_accepted_and_then_refuses_new_events() throws Exception {
        MemoryEventBus bus = bus(b -> b.workerCount(2));
        AtomicInteger handled = new AtomicInteger();
        bus.subscribe("*", e -> handled.incrementAndGet());
        for (int i = 0; i < 100; i++) {
            bus.emit(event("x.y"));
        }

        bus.close();

        assertThat(handled).hasValue(100);
        assertThatThrownBy(() -> bus.emit(event("x.y")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        bus.close();
    }

    @Test
    void a_null_event_is_refused() {
        MemoryEventBus bus = bus();

        assertThatThrownBy(() -> bus.emit(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> bus.subscribe("x", null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void settings_the_memory_bus_would_ignore_are_refused_when_it_is_built() {
        BusConfig retrying = BusConfig.builder().retryAttempts(5).build();
        BusConfig polling =
                BusConfig.builder().flushInterval(Duration.ofSeconds(2)).build();

        assertThatThrownBy(() -> bus(b -> b.config(retrying)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("retry_attempts (retryAttempts) is 5, but the memory bus (backend memory)"
                        + " cannot honour it");
        assertThatThrownBy(() -> bus(b -> b.config(polling)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("flush_interval (flushInterval) is PT2S");
        assertThat(buses).isEmpty();
    }
}
