package io.nexus.examples;

import io.nexus.eventbus.BusConfig;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.examples.OrderSaga.InventoryReservationFailed;
import io.nexus.examples.OrderSaga.InventoryReserved;
import io.nexus.examples.OrderSaga.OrderCreated;
import io.nexus.examples.OrderSaga.PaymentCompleted;
import io.nexus.examples.OrderSaga.PaymentFailed;
import io.nexus.migrations.EventStoreSchema;
import io.nexus.sagas.SagaWorker;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The order saga end to end: four orders, one paid and reserved, one whose payment fails, one whose inventory
 * cannot be reserved after the payment (compensated by a refund), and one nobody pays, cancelled by the payment
 * deadline once the saga's clock has moved 16 minutes on (no waiting). With no argument it starts an embedded
 * PostgreSQL 17; give a JDBC URL ({@code --jdbc-url} or {@code NEXUS_JDBC_URL}) to use your own.
 *
 * <pre>{@code mvn -B -q -pl examples -am package exec:java -DskipTests -Dexec.mainClass=io.nexus.examples.OrderSagaExample}</pre>
 */
public final class OrderSagaExample {
    /** What a run did: each order's last event in its stream, and each order's saga stream, by type. */
    public record Summary(Map<String, String> outcomes, Map<String, List<String>> sagaStreams) {}

    /** A clock the example moves by hand, so the payment deadline passes without sleeping. */
    static final class MovableClock extends Clock {
        private volatile Instant now = Instant.parse("2026-01-01T10:00:00Z");

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private OrderSagaExample() {}

    public static void main(String[] args) throws Exception {
        ExampleDatabase.main(args, (dataSource, url, rest, out) -> run(dataSource, out));
    }

    /**
     * Runs the example on {@code dataSource} and prints what it does to {@code out}.
     *
     * @param dataSource the database
     * @param out where to print
     * @return what happened to each order
     * @throws InterruptedException if interrupted while waiting for the saga
     */
    public static Summary run(DataSource dataSource, PrintStream out) throws InterruptedException {
        EventStoreSchema.migrate(dataSource, "shop");
        MovableClock clock = new MovableClock();
        String run = Long.toString(System.nanoTime(), 36);
        Map<String, List<Object>> orders = new LinkedHashMap<>();
        orders.put("paid-" + run, List.of(new PaymentCompleted("paid-" + run), new InventoryReserved("paid-" + run)));
        orders.put("declined-" + run, List.of(new PaymentFailed("declined-" + run, "card_declined")));
        orders.put(
                "no-stock-" + run,
                List.of(new PaymentCompleted("no-stock-" + run), new InventoryReservationFailed("no-stock-" + run)));
        orders.put("unpaid-" + run, List.of());

        try (PostgresEventStore store = PostgresEventStore.builder(dataSource)
                        .schema("shop")
                        .types(OrderSaga.types())
                        .build();
                SagaWorker worker = SagaWorker.builder(new OrderSaga(Duration.ofMinutes(15)), store, dataSource)
                        .clock(clock)
                        .partitions(4)
                        .config(BusConfig.builder().workerCount(2).build())
                        .build()
                        .start()) {
            // The shop, the payment service and the warehouse, played in one go: the saga handles them in order.
            orders.forEach((orderId, replies) -> {
                store.append(
                        OrderSaga.stream("order", orderId),
                        ExpectedVersion.noStream(),
                        List.of(NewEvent.of(new OrderCreated(orderId, 4_200))));
                for (Object reply : replies) {
                    String category = reply.getClass().getSimpleName().startsWith("Payment") ? "payment" : "inventory";
                    store.append(
                            OrderSaga.stream(category, orderId), ExpectedVersion.any(), List.of(NewEvent.of(reply)));
                }
            });
            worker.awaitPosition(store.headPosition(), Duration.ofSeconds(30));
            out.printf("Handled %d orders; moving the saga's clock 16 minutes on%n", orders.size());
            clock.advance(Duration.ofMinutes(16));
            // Fires what is due now; the worker's own poll may have fired it a moment earlier, which is the same.
            worker.fireDueDeadlines();

            Map<String, String> outcomes = new LinkedHashMap<>();
            Map<String, List<String>> sagaStreams = new LinkedHashMap<>();
            for (String orderId : orders.keySet()) {
                List<RecordedEvent> order = store.readStream(OrderSaga.stream("order", orderId), 1, 100);
                RecordedEvent last = order.get(order.size() - 1);
                outcomes.put(orderId, last.type() + describe(last.data()));
                List<String> saga = new ArrayList<>();
                store.readStream(OrderSaga.stream("saga-order", orderId), 1, 100)
                        .forEach(event -> saga.add(event.type()));
                sagaStreams.put(orderId, saga);
                out.printf("%-28s %s%n    saga: %s%n", orderId, outcomes.get(orderId), saga);
            }
            return new Summary(outcomes, sagaStreams);
        }
    }

    private static String describe(Object data) {
        return data instanceof OrderSaga.OrderCancelled cancelled ? " (" + cancelled.reason() + ")" : "";
    }
}
