package io.nexus.examples;

import io.nexus.eventbus.EventHandler;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.migrations.EventStoreSchema;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;

/**
 * The design's correlated events and event tracing: an order's events share one correlation id. The service sets it
 * on {@code order.created}; the handlers' follow-up events ({@code payment.processing}, {@code inventory.reserved})
 * inherit it, with the event that caused them as causation id, without passing ids by hand; a tracer on {@code *}
 * groups the events by correlation id. Run: {@code mvn -B -q -pl examples -am package exec:java -DskipTests
 * -Dexec.mainClass=io.nexus.examples.CorrelationExample}.
 */
public final class CorrelationExample {
    private CorrelationExample() {}

    /** The design's {@code EventTracer}: per correlation id, {@code type <- causing type}, in order. */
    static final class EventTracer {
        final Map<UUID, List<String>> traces = new ConcurrentHashMap<>();
        final Map<UUID, String> types = new ConcurrentHashMap<>();

        @EventHandler("*")
        void trace(RecordedEvent event) {
            types.put(event.eventId(), event.type());
            if (event.correlationId() != null) {
                String cause = event.causationId() == null ? "-" : types.getOrDefault(event.causationId(), "?");
                traces.computeIfAbsent(event.correlationId(), id -> new CopyOnWriteArrayList<>())
                        .add(event.type() + " <- " + cause);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        ExampleDatabase.main(args, (dataSource, url, rest, out) -> run(dataSource, out));
    }

    /** Processes one order; returns its trace. */
    public static List<String> run(DataSource dataSource, PrintStream out) throws Exception {
        EventStoreSchema.migrate(dataSource, "correlation");
        EventTracer tracer = new EventTracer();
        UUID correlationId = UUID.randomUUID();
        try (PostgresEventBus bus =
                PostgresEventBus.builder(dataSource).schema("correlation").build()) {
            bus.register(tracer);
            bus.subscribe(
                    "order.created",
                    event -> bus.emit(NewEvent.of("payment.processing", RawJson.of("{\"payment_method\":\"card\"}"))));
            bus.subscribe(
                    "payment.processing",
                    event -> bus.emit(NewEvent.of("inventory.reserved", RawJson.of("{\"items\":1}"))));

            bus.emit(NewEvent.of("order.created", RawJson.of("{\"order_id\":\"o-1\",\"total_amount\":42.0}"))
                    .withCorrelationId(correlationId));

            List<String> trace = tracer.traces.computeIfAbsent(correlationId, id -> new CopyOnWriteArrayList<>());
            TypedEventsExample.awaitSize(trace, 3);
            out.println("  correlation " + correlationId + ":");
            trace.forEach(line -> out.println("    " + line));
            return List.copyOf(trace);
        }
    }
}
