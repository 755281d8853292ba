package io.nexus.eventbus.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventbus.BrokerEventBus;
import io.nexus.eventbus.BrokerTransport;
import io.nexus.eventbus.BrokerUnavailableException;
import io.nexus.eventbus.BusConfig;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventbus.TypePattern;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.VersionedJson;
import io.nexus.eventstore.json.EventEnvelopeJson;
import io.nexus.eventstore.json.JacksonEventSerializer;
import io.nexus.testing.TestDatabase;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a {@link BrokerEventBus} must do on every broker, against the real broker: two JVMs, one emitting and one
 * handling, wildcards across them, {@code waitFor} across them, priorities, retries and dead letters, and a broker
 * restarted in the middle of a run (with persistence nothing is lost; without it the losses are counted and printed).
 */
@Timeout(240)
public abstract class BrokerBusContract {
    private final TestDatabase database;
    private final List<Process> workers = new ArrayList<>();
    private final List<AutoCloseable> closing = new ArrayList<>();

    protected BrokerBusContract(TestDatabase database) {
        this.database = database;
    }

    /**
     * A new transport to the broker, on names unique to this test.
     *
     * @param types the registry the transport decodes received payloads with, upcasters included
     * @return the transport
     */
    protected abstract BrokerTransport transport(EventTypeRegistry types);

    /** {@return the worker's transport arguments that reach the same broker and names as {@link #transport}} */
    protected abstract List<String> workerTransportArguments();

    /** {@return the main class of the broker module's worker, which calls {@link BrokerBusWorker#run}} */
    protected abstract Class<?> workerMain();

    /** {@return how many dead letters the broker holds for this test} */
    protected abstract long deadLetterCount();

    /** Stops the broker and starts it again; returns once it answers. */
    protected abstract void restartBroker() throws Exception;

    @AfterEach
    void stop() throws Exception {
        for (Process worker : workers) {
            worker.destroyForcibly();
            worker.waitFor(10, TimeUnit.SECONDS);
        }
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    /** A worker JVM and the lines it printed. */
    protected final class Worker {
        final Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();

        Worker(boolean persistent, String patterns) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    "-Xmx128m",
                    workerMain().getName(),
                    persistent ? "persistent" : "plain",
                    database.jdbcUrl(),
                    database.schema(),
                    patterns));
            command.addAll(workerTransportArguments());
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            workers.add(process);
            Thread reader = new Thread(() -> {
                try (BufferedReader out =
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        lines.add(line);
                        if (!line.startsWith("got ")) {
                            System.out.println("[worker] " + line);
                        }
                    }
                } catch (IOException e) {
                    // the worker ended
                }
            });
            reader.setDaemon(true);
            reader.start();
            TestBroker.await("the worker to start", Duration.ofSeconds(60), () -> lines.contains("ready"));
        }

        List<String> received(String pattern) {
            List<String> got = new ArrayList<>();
            for (String line : lines) {
                if (line.startsWith("got " + pattern + " ")) {
                    got.add(line.substring(("got " + pattern + " ").length()));
                }
            }
            return got;
        }
    }

    private BrokerEventBus bus(BusConfig config) {
        BrokerEventBus bus = BrokerEventBus.builder(transport(EventTypeRegistry.rawJson()))
                .config(config)
                .build();
        closing.add(bus);
        return bus;
    }

    private BrokerEventBus persistentBus() {
        return persistentBus(transport(EventTypeRegistry.rawJson()));
    }

    private BrokerEventBus persistentBus(BrokerTransport transport) {
        return persistentBus(transport, EventTypeRegistry.rawJson());
    }

    private BrokerEventBus persistentBus(BrokerTransport transport, EventTypeRegistry types) {
        PostgresEventBus store = PostgresEventBus.builder(database.dataSource())
                .schema(database.schema())
                .types(types)
                .flushInterval(Duration.ofMillis(20))
                .build();
        closing.add(store);
        BrokerEventBus bus = BrokerEventBus.builder(transport)
                .persistence(store)
                .config(BusConfig.builder().flushInterval(Duration.ofMillis(20)).build())
                .build();
        closing.add(bus);
        return bus;
    }

    private static NewEvent event(String type, long number) {
        return NewEvent.of(type, RawJson.of(Long.toString(number)));
    }

    @Test
    void an_event_emitted_in_one_jvm_reaches_the_matching_listeners_of_another_with_wildcards() throws Exception {
        Worker worker = new Worker(false, "user.*,*.error,user.registered");
        BrokerEventBus bus = bus(BusConfig.defaults());

        for (int i = 1; i <= 20; i++) {
            bus.emit(event("user.registered", i));
        }
        for (int i = 1; i <= 5; i++) {
            bus.emit(event("plugin.error", i));
            bus.emit(event("order.created", i));
        }

        TestBroker.await(
                "the worker to receive 45 events",
                Duration.ofSeconds(30),
                () -> worker.received("user.*").size()
                                + worker.received("*.error").size()
                                + worker.received("user.registered").size()
                        >= 45);
        Thread.sleep(300); // nothing more may come
        assertThat(worker.received("user.*")).hasSize(20).allMatch(line -> line.startsWith("user.registered "));
        assertThat(worker.received("user.registered")).hasSize(20);
        assertThat(worker.received("*.error")).hasSize(5).allMatch(line -> line.startsWith("plugin.error "));
        assertThat(worker.lines).noneMatch(line -> line.contains("order.created"));
    }

    private static final EventTypeRegistry SPLITTING = EventTypeRegistry.builder()
            .upcast(
                    "shop.checked_out",
                    1,
                    stored -> List.of(
                            VersionedJson.of("shop.order_placed", 1, stored.data()),
                            VersionedJson.of("shop.order_paid", 1, new HashMap<>(stored.data()))))
            .build();

    @Test
    void with_persistence_an_event_an_upcaster_splits_reaches_the_listeners_of_another_bus_as_both_parts()
            throws Exception {
        BrokerEventBus emitting = persistentBus();
        BrokerEventBus receiving = persistentBus(transport(SPLITTING), SPLITTING);
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        receiving.subscribe("shop.*", received::add);

        emitting.emit(NewEvent.of("shop.checked_out", RawJson.of("{\"orderId\":\"o-1\"}")));
        emitting.emit(NewEvent.of("shop.after", RawJson.of("{}")));

        TestBroker.await("both parts and the event after", Duration.ofSeconds(30), () -> received.size() >= 3);
        Thread.sleep(300); // nothing more may come
        assertThat(received)
                .extracting(RecordedEvent::type)
                .containsExactly("shop.order_placed", "shop.order_paid", "shop.after");
    }

    @Test
    void an_event_an_upcaster_splits_reaches_the_listeners_of_another_bus_as_both_parts() throws Exception {
        EventTypeRegistry splitting = SPLITTING;
        BrokerEventBus receiving = BrokerEventBus.builder(transport(splitting))
                .config(BusConfig.defaults())
                .build();
        closing.add(receiving);
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        receiving.subscribe("shop.*", received::add);
        BrokerEventBus emitting = bus(BusConfig.defaults());

        // An older release's event: schema version 1, which the receiving side splits in two.
        NewEvent checkedOut = NewEvent.of("shop.checked_out", RawJson.of("{\"orderId\":\"o-1\"}"));
        emitting.emit(checkedOut);

        TestBroker.await("both parts", Duration.ofSeconds(30), () -> received.size() >= 2);
        Thread.sleep(300); // nothing more may come
        assertThat(received)
                .extracting(RecordedEvent::type)
                .containsExactlyInAnyOrder("shop.order_placed", "shop.order_paid");
        assertThat(received).extracting(RecordedEvent::eventId).contains(checkedOut.eventId());
    }

    @Test
    void wait_for_completes_with_the_answer_another_jvm_emits() throws Exception {
        new Worker(false, "nothing.here");
        BrokerEventBus bus = bus(BusConfig.defaults());
        long request = System.nanoTime() & 0xFFFFFFL;

        CompletableFuture<RecordedEvent> answer = bus.waitFor("validation.response." + request, Duration.ofSeconds(20));
        NewEvent asked = event("validation.request", request);
        bus.emit(asked);

        RecordedEvent response = answer.get(30, TimeUnit.SECONDS);
        assertThat(response.type()).isEqualTo("validation.response." + request);
        assertThat(response.correlationId()).isEqualTo(asked.eventId());
    }

    @Test
    void with_persistence_another_jvm_receives_every_committed_event_in_global_order() throws Exception {
        Worker worker = new Worker(true, "*");
        BrokerEventBus bus = persistentBus();

        for (int i = 1; i <= 50; i++) {
            bus.emit(event("order.placed", i));
        }

        TestBroker.await(
                "50 events in the worker",
                Duration.ofSeconds(60),
                () -> worker.received("*").size() >= 50);
        List<Long> positions = new ArrayList<>();
        for (String line : worker.received("*")) {
            positions.add(Long.parseLong(line.split(" ", -1)[1]));
        }
        assertThat(positions).hasSize(50).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void with_persistence_personal_data_travels_encrypted_and_listeners_read_it_from_the_store() throws Exception {
        List<String> wire = new CopyOnWriteArrayList<>();
        BrokerEventBus emitting = persistentBus(new Recording(transport(EventTypeRegistry.rawJson()), wire));
        BrokerEventBus receiving = persistentBus(new Recording(transport(EventTypeRegistry.rawJson()), wire));
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        receiving.subscribe("customer.*", received::add);

        emitting.emit(NewEvent.of(new BrokerRelayContract.ContactChanged("c-1", "ada@example.org", "gold")));
        emitting.emit(NewEvent.of("customer.after", RawJson.of("{}")));

        TestBroker.await("both events", Duration.ofSeconds(30), () -> received.size() >= 2);
        assertThat(received.get(0).isRedacted()).isFalse();
        assertThat(received.get(0).data().toString()).contains("ada@example.org");
        assertThat(received.get(1).type()).isEqualTo("customer.after");
        assertThat(wire).hasSizeGreaterThanOrEqualTo(2);
        assertThat(String.join("\n", wire)).doesNotContain("ada@example.org").contains("nexus:pii:1:");
    }

    /** A transport that also records the envelope of every event it publishes, as the transport's codec writes it. */
    private static final class Recording implements BrokerTransport {
        private static final EventEnvelopeJson CODEC =
                new EventEnvelopeJson(JacksonEventSerializer.create(), EventTypeRegistry.rawJson());
        private final BrokerTransport transport;
        private final List<String> wire;

        Recording(BrokerTransport transport, List<String> wire) {
            this.transport = transport;
            this.wire = wire;
        }

        @Override
        public void start(Receiver receiver) {
            transport.start(receiver);
        }

        @Override
        public void publish(RecordedEvent event) {
            transport.publish(event);
            wire.add(CODEC.encode(event));
        }

        @Override
        public void listen(TypePattern pattern) {
            transport.listen(pattern);
        }

        @Override
        public void unlisten(TypePattern pattern) {
            transport.unlisten(pattern);
        }

        @Override
        public void deadLetter(RecordedEvent event, String subscription, Throwable error) {
            transport.deadLetter(event, subscription, error);
        }

        @Override
        public String deadLetterDestination() {
            return transport.deadLetterDestination();
        }

        @Override
        public String describe() {
            return transport.describe();
        }

        @Override
        public void close() {
            transport.close();
        }
    }

    @Test
    void a_full_queue_of_two_behind_a_blocked_listener_loses_nothing_and_delivers_each_event_once() throws Exception {
        BrokerEventBus bus =
                bus(BusConfig.builder().maxQueueSize(2).workerCount(1).build());
        CountDownLatch release = new CountDownLatch(1);
        List<UUID> received = new CopyOnWriteArrayList<>();
        bus.subscribe("queue.tick", event -> {
            received.add(event.eventId());
            release.await();
        });
        int emitted = 20;

        for (int i = 1; i <= emitted; i++) {
            bus.emit(event("queue.tick", i)); // returns once the broker has it, whatever the local queue holds
        }
        TestBroker.await("the first event in the listener", Duration.ofSeconds(20), () -> !received.isEmpty());
        Thread.sleep(500);
        int whileBlocked = received.size();
        release.countDown();
        TestBroker.await("every event", Duration.ofSeconds(30), () -> received.size() >= emitted);
        Thread.sleep(200);

        assertThat(whileBlocked).isEqualTo(1); // the rest wait, 2 in the queue and the others held in the transport
        assertThat(received).hasSize(emitted).doesNotHaveDuplicates();
    }

    @Test
    void listeners_run_in_priority_order_and_a_failing_one_is_retried_then_dead_lettered() throws Exception {
        BrokerEventBus bus = bus(BusConfig.builder()
                .retryAttempts(2)
                .retryDelay(Duration.ofMillis(20))
                .build());
        List<String> order = new CopyOnWriteArrayList<>();
        AtomicInteger flakyCalls = new AtomicInteger();
        AtomicInteger brokenCalls = new AtomicInteger();
        bus.subscribe("job.*", event -> order.add("low"), 1);
        bus.subscribe("job.*", event -> order.add("high"), 10);
        bus.subscribe("job.run", event -> {
            if (flakyCalls.incrementAndGet() < 3) {
                throw new IllegalStateException("flaky");
            }
        });
        bus.subscribe("job.run", event -> {
            brokenCalls.incrementAndGet();
            throw new IllegalStateException("broken");
        });

        bus.emit(event("job.run", 1));

        TestBroker.await("the dead letter", Duration.ofSeconds(20), () -> deadLetterCount() == 1);
        assertThat(order).containsExactly("high", "low");
        assertThat(flakyCalls).hasValue(3); // failed twice, succeeded on the second retry
        assertThat(brokenCalls).hasValue(3); // the first call and two retries
    }

    @Test
    void a_broker_restart_in_the_middle_of_a_run_loses_nothing_with_persistence() throws Exception {
        Worker worker = new Worker(true, "*");
        BrokerEventBus bus = persistentBus();

        Run run = emitWhileTheBrokerRestarts(bus);

        assertThat(run.refused()).isEmpty(); // emit appends to PostgreSQL: the broker's restart refuses nothing
        TestBroker.await(
                run.emitted() + " events in the worker",
                Duration.ofSeconds(90),
                () -> worker.received("*").size() >= run.emitted());
        Set<String> payloads = new HashSet<>();
        List<Long> positions = new ArrayList<>();
        for (String line : worker.received("*")) {
            payloads.add(line.split(" ", -1)[2]);
            positions.add(Long.parseLong(line.split(" ", -1)[1]));
        }
        System.out.println("broker restart with persistence: emitted " + run.emitted() + " (" + run.duringRestart()
                + " while the broker restarted), received " + positions.size() + " (" + payloads.size()
                + " distinct), lost " + (run.emitted() - payloads.size()));
        assertThat(payloads).hasSize(run.emitted());
        assertThat(positions).hasSize(run.emitted()).isSorted().doesNotHaveDuplicates();
    }

    @Test
    protected void a_broker_restart_in_the_middle_of_a_run_without_persistence_counts_what_is_lost() throws Exception {
        Worker worker = new Worker(false, "tick");
        BrokerEventBus bus = bus(BusConfig.defaults());

        Run run = emitWhileTheBrokerRestarts(bus);
        awaitQuiet(worker);

        Set<String> accepted = new HashSet<>();
        for (int i = 1; i <= run.emitted(); i++) {
            accepted.add(Integer.toString(i));
        }
        accepted.removeAll(run.refused());
        Set<String> received = new HashSet<>();
        for (String line : worker.received("tick")) {
            received.add(line.split(" ", -1)[2]);
        }
        Set<String> lost = new TreeSet<>(accepted);
        lost.removeAll(received);
        Set<String> refusedYetDelivered = new TreeSet<>(run.refused());
        refusedYetDelivered.retainAll(received);
        System.out.println("broker restart without persistence: emitted " + run.emitted() + " (" + run.duringRestart()
                + " while the broker restarted), refused at emit "
                + run.refused().size() + " (of which delivered"
                + " anyway " + refusedYetDelivered.size() + "), accepted " + accepted.size() + ", received "
                + received.size() + ", lost " + lost.size() + " " + lost);
        assertThat(worker.received("tick")).hasSameSizeAs(received); // no duplicates
        assertThat(received).allMatch(payload -> Integer.parseInt(payload) <= run.emitted()); // nothing invented
        assertThat(received.size() - refusedYetDelivered.size() + lost.size()).isEqualTo(accepted.size());
        assertLossesWithoutPersistence(lost.size(), run);
    }

    /**
     * What one run of {@link #emitWhileTheBrokerRestarts} did.
     *
     * @param emitted how many emits were tried ({@code tick} 1 to this)
     * @param duringRestart how many of them were tried while the broker restarted
     * @param refused the payloads of the emits refused with {@link BrokerUnavailableException}
     */
    protected record Run(int emitted, int duringRestart, List<String> refused) {}

    /**
     * Emits {@code tick} 1, 2, … on another thread, one every 5 ms, restarts the broker after 50 of them, and stops 50
     * emits after the broker answers again, so that emits, the relay and the worker's subscription all meet the
     * restart however long it takes.
     */
    private Run emitWhileTheBrokerRestarts(BrokerEventBus bus) throws Exception {
        List<String> refused = new CopyOnWriteArrayList<>();
        AtomicInteger emitted = new AtomicInteger();
        AtomicInteger stopAt = new AtomicInteger(Integer.MAX_VALUE);
        Thread emitter = new Thread(() -> {
            for (int i = 1; i <= stopAt.get(); i++) {
                try {
                    bus.emit(event("tick", i));
                } catch (BrokerUnavailableException e) {
                    refused.add(Integer.toString(i));
                }
                emitted.set(i);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        emitter.start();
        int before;
        try {
            TestBroker.await("50 emits", Duration.ofSeconds(60), () -> emitted.get() >= 50);
            before = emitted.get();
            restartBroker();
        } finally {
            stopAt.set(emitted.get() + 50);
            emitter.join(120_000);
        }
        int stoppedAt = stopAt.get();
        assertThat(emitted).hasValue(stoppedAt);
        return new Run(stoppedAt, stoppedAt - 50 - before, List.copyOf(refused));
    }

    /** What the broker's transport promises about events accepted before and after a restart, without persistence. */
    protected abstract void assertLossesWithoutPersistence(int lost, Run run);

    /** Waits until the worker has printed nothing new for a second. */
    private static void awaitQuiet(Worker worker) throws InterruptedException {
        int seen = -1;
        while (seen != worker.lines.size()) {
            seen = worker.lines.size();
            Thread.sleep(1_000);
        }
    }
}
