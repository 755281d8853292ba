package io.nexus.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.examples.OrderSaga.InventoryReservationFailed;
import io.nexus.examples.OrderSaga.InventoryReserved;
import io.nexus.examples.OrderSaga.OrderCreated;
import io.nexus.examples.OrderSaga.PaymentCompleted;
import io.nexus.examples.OrderSaga.PaymentFailed;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Order saga worker processes killed with SIGKILL while orders flow, and two processes sharing the work. */
@PostgresTest
@Timeout(600)
class OrderSagaFailoverTest {
    private static final Duration LEASE = Duration.ofMillis(1_500);
    private static final Duration PAYMENT_TIMEOUT = Duration.ofSeconds(3);
    private static final int PARTITIONS = 8;

    private final TestDatabase database;
    private final Jdbi jdbi;
    private final PostgresEventStore store;
    private final List<Process> processes = new ArrayList<>();
    private final String run = Long.toString(System.nanoTime(), 36);

    OrderSagaFailoverTest(TestDatabase database) {
        this.database = database;
        this.jdbi = Jdbi.create(database.dataSource());
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .types(OrderSaga.types())
                .build();
    }

    @AfterEach
    void close() throws InterruptedException {
        for (Process process : processes) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        store.close();
    }

    /** The four kinds of order, by what the other components answer. */
    enum Kind {
        PAID,
        DECLINED,
        OUT_OF_STOCK,
        UNPAID
    }

    private static final List<Kind> KINDS = List.of(Kind.PAID, Kind.DECLINED, Kind.OUT_OF_STOCK, Kind.UNPAID);

    /** Appends orders and the answers to them, like the shop, payment service and warehouse would, until stopped. */
    private final class Shop implements AutoCloseable {
        final Map<String, Kind> orders = Collections.synchronizedMap(new HashMap<>());
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        Shop(String prefix) {
            thread = new Thread(() -> {
                int i = 0;
                while (!stop.get()) {
                    String orderId = prefix + "-" + run + "-" + i;
                    Kind kind = KINDS.get(i % KINDS.size());
                    placeOrder(orderId, kind);
                    orders.put(orderId, kind);
                    i++;
                    try {
                        Thread.sleep(30);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join();
        }
    }

    private void placeOrder(String orderId, Kind kind) {
        store.append(
                OrderSaga.stream("order", orderId),
                ExpectedVersion.noStream(),
                List.of(NewEvent.of(new OrderCreated(orderId, 100))));
        List<Object> answers = switch (kind) {
            case PAID -> List.of(new PaymentCompleted(orderId), new InventoryReserved(orderId));
            case DECLINED -> List.of(new PaymentFailed(orderId, "declined"));
            case OUT_OF_STOCK -> List.of(new PaymentCompleted(orderId), new InventoryReservationFailed(orderId));
            case UNPAID -> List.of();
        };
        for (Object answer : answers) {
            String category =
                    answer instanceof PaymentCompleted || answer instanceof PaymentFailed ? "payment" : "inventory";
            store.append(OrderSaga.stream(category, orderId), ExpectedVersion.any(), List.of(NewEvent.of(answer)));
        }
    }

    private Process startWorker(String log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        "-Xmx128m",
                        OrderSagaWorkerMain.class.getName(),
                        database.jdbcUrl(),
                        database.schema(),
                        Long.toString(LEASE.toMillis()),
                        Long.toString(PAYMENT_TIMEOUT.toMillis()),
                        Integer.toString(PARTITIONS),
                        Boolean.toString(database.autoCommit()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(log)))
                .start();
        processes.add(process);
        return process;
    }

    private File logFile(String log) {
        return new File("target", "saga-worker-" + log + "-" + run + ".log");
    }

    /** The owner ids of the workers that printed their start line to {@code log}. */
    private List<String> startedWorkers(String log) {
        try (Stream<String> lines = Files.lines(logFile(log).toPath())) {
            return lines.filter(line -> line.startsWith("worker ") && line.endsWith(" started"))
                    .map(line -> line.substring("worker ".length(), line.length() - " started".length()))
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }

    private List<String> types(String category, String orderId) {
        return store.readStream(OrderSaga.stream(category, orderId), 1, 1_000).stream()
                .map(RecordedEvent::type)
                .toList();
    }

    private boolean terminal(String orderId) {
        List<String> order = types("order", orderId);
        return order.contains("order.confirmed") || order.contains("order.cancelled");
    }

    private long count(List<String> types, String type) {
        return types.stream().filter(type::equals).count();
    }

    /**
     * Every order in exactly one terminal state, and every emitted event exactly once, as its kind and the race
     * between its answers and its payment deadline require: a deadline fires by the clock, so an order whose answer
     * the saga had not handled yet when its deadline was due (a worker was down or catching up) is cancelled for
     * "payment_timeout", and the late answer finds the saga ended.
     *
     * @return how many orders that got an answer were cancelled by their deadline first
     */
    private int assertEachOrderHandledExactlyOnce(Map<String, Kind> orders) {
        int overtaken = 0;
        for (Map.Entry<String, Kind> entry : orders.entrySet()) {
            String orderId = entry.getKey();
            Kind kind = entry.getValue();
            List<RecordedEvent> orderEvents = store.readStream(OrderSaga.stream("order", orderId), 1, 1_000);
            List<String> order = orderEvents.stream().map(RecordedEvent::type).toList();
            List<String> cancelReasons = orderEvents.stream()
                    .map(RecordedEvent::data)
                    .filter(OrderSaga.OrderCancelled.class::isInstance)
                    .map(data -> ((OrderSaga.OrderCancelled) data).reason())
                    .toList();
            List<String> payment = types("payment", orderId);
            List<String> inventory = types("inventory", orderId);
            List<String> saga = types("saga-order", orderId);
            String what = orderId + " (" + kind + "): order " + order + ", payment " + payment + ", inventory "
                    + inventory + ", saga " + saga;
            boolean timedOut = cancelReasons.contains("payment_timeout");
            boolean paid = !timedOut && (kind == Kind.PAID || kind == Kind.OUT_OF_STOCK);
            if (timedOut && kind != Kind.UNPAID) {
                overtaken++;
            }
            assertThat(count(order, "order.confirmed") + count(order, "order.cancelled"))
                    .as(what)
                    .isEqualTo(1);
            assertThat(count(payment, "payment.requested")).as(what).isEqualTo(1);
            assertThat(count(inventory, "inventory.reservation-requested"))
                    .as(what)
                    .isEqualTo(paid ? 1 : 0);
            assertThat(count(saga, "saga.started")).as(what).isEqualTo(1);
            assertThat(count(saga, "saga.ended")).as(what).isEqualTo(1);
            assertThat(saga.get(saga.size() - 1)).as(what).isEqualTo("saga.ended");
            assertThat(count(saga, "saga.deadline-fired")).as(what).isEqualTo(timedOut ? 1 : 0);
            if (timedOut) {
                assertThat(count(payment, "payment.refund-requested")).as(what).isZero();
                continue;
            }
            switch (kind) {
                case PAID -> assertThat(order).as(what).contains("order.confirmed");
                case DECLINED -> assertThat(cancelReasons).as(what).containsExactly("payment_failed");
                case OUT_OF_STOCK -> assertThat(cancelReasons).as(what).containsExactly("out_of_stock");
                case UNPAID ->
                    assertThat(timedOut)
                            .as(what + ": an unpaid order ends by its deadline")
                            .isTrue();
            }
            assertThat(count(payment, "payment.refund-requested"))
                    .as(what)
                    .isEqualTo(kind == Kind.OUT_OF_STOCK ? 1 : 0);
        }
        return overtaken;
    }

    /** Waits until every order has its terminal event, looking again only at those that had not. */
    private void awaitAllTerminal(Map<String, Kind> orders) throws InterruptedException {
        Set<String> open = new HashSet<>(orders.keySet());
        await(open.size() + " orders ended").atMost(Duration.ofMinutes(5)).until(() -> {
            open.removeIf(this::terminal);
            return open.isEmpty();
        });
    }

    private Set<String> pendingDeadlines() {
        return new HashSet<>(
                jdbi.withHandle(h -> h.createQuery("SELECT saga_id FROM " + database.schema() + ".saga_deadlines")
                        .mapTo(String.class)
                        .list()));
    }

    @Test
    void a_worker_killed_at_random_moments_and_restarted_ends_every_order_once_and_fires_deadlines_set_before_a_kill()
            throws Exception {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Shop shop = new Shop("killed");
        Set<String> deadlinesPendingAtLastKill;
        try {
            for (int kill = 0; kill < 6; kill++) {
                Process worker = startWorker("killed");
                int started = kill + 1;
                await("worker " + started + " started")
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> startedWorkers("killed").size() >= started);
                if (kill < 5) {
                    Thread.sleep(random.nextLong(1_000, 3_500));
                } else {
                    // (b): the last kill lands once this worker has set a payment deadline.
                    await("an unpaid order's deadline is set")
                            .atMost(Duration.ofSeconds(60))
                            .until(() ->
                                    pendingDeadlines().stream().anyMatch(id -> shop.orders.get(id) == Kind.UNPAID));
                }
                worker.destroyForcibly();
                worker.waitFor(10, TimeUnit.SECONDS);
            }
            // No worker is alive: every deadline still stored was set before the last kill.
            deadlinesPendingAtLastKill = pendingDeadlines();
        } finally {
            shop.close();
        }
        Map<String, Kind> orders = Map.copyOf(shop.orders);
        await("the deadlines set before the kill are due")
                .atMost(Duration.ofSeconds(30))
                .until(() -> jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM " + database.schema()
                                        + ".saga_deadlines WHERE due_at > now()")
                                .mapTo(Long.class)
                                .one()
                        == 0));
        startWorker("killed");
        awaitAllTerminal(orders);

        int overtaken = assertEachOrderHandledExactlyOnce(orders);
        System.out.println(orders.size() + " orders across 6 SIGKILLs; " + deadlinesPendingAtLastKill.size()
                + " deadlines pending at the last kill; " + overtaken
                + " answered orders cancelled by their deadline first");
        assertThat(orders.size()).isGreaterThan(100);
        List<String> unpaidPending = deadlinesPendingAtLastKill.stream()
                .filter(id -> orders.get(id) == Kind.UNPAID)
                .toList();
        assertThat(unpaidPending).isNotEmpty();
        for (String orderId : unpaidPending) {
            assertThat(types("saga-order", orderId)).contains("saga.deadline-fired");
        }
        assertThat(pendingDeadlines()).isEmpty();
    }

    @Test
    void two_worker_processes_share_the_partitions_and_handle_no_instance_twice() throws Exception {
        Shop shop = new Shop("shared");
        try {
            startWorker("shared");
            await("the first worker started")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> startedWorkers("shared").size() >= 1);
            Thread.sleep(1_000);
            startWorker("shared");
            await("the second worker started")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> startedWorkers("shared").size() >= 2);
            // Both run side by side while orders flow: the first gives half its partitions to the second.
            Thread.sleep(6_000);
        } finally {
            shop.close();
        }
        Map<String, Kind> orders = Map.copyOf(shop.orders);
        await("every order ended")
                .atMost(Duration.ofMinutes(2))
                .until(() -> orders.keySet().stream().allMatch(this::terminal));
        List<String> workers = startedWorkers("shared");
        Map<String, Long> partitionsByOwner = jdbi
                .withHandle(h -> h.createQuery("SELECT owner, count(*) FROM " + database.schema()
                                + ".subscriptions WHERE name LIKE 'saga:order:%' GROUP BY owner")
                        .map((rs, ctx) -> Map.entry(String.valueOf(rs.getString(1)), rs.getLong(2)))
                        .list())
                .stream()
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        Map<String, Long> instancesBySource = new HashMap<>();
        for (String orderId : orders.keySet()) {
            store.readStream(OrderSaga.stream("saga-order", orderId), 1, 100).stream()
                    .map(RecordedEvent::source)
                    .filter(java.util.Objects::nonNull)
                    .distinct()
                    .forEach(source -> instancesBySource.merge(source, 1L, Long::sum));
        }

        System.out.println(orders.size() + " orders; partitions by owner " + partitionsByOwner
                + "; instances touched by each worker " + instancesBySource);
        assertThat(partitionsByOwner).containsOnlyKeys(workers.get(0), workers.get(1));
        assertThat(partitionsByOwner.values()).containsOnly((long) PARTITIONS / 2);
        assertThat(instancesBySource.keySet()).containsExactlyInAnyOrderElementsOf(workers);
        int overtaken = assertEachOrderHandledExactlyOnce(orders);
        System.out.println(overtaken + " answered orders cancelled by their deadline first");
    }
}
