package io.nexus.examples;

import io.nexus.eventbus.EventHandler;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.migrations.EventStoreSchema;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.sql.DataSource;

/**
 * The design's typed events (system, plugin, HTTP, database and custom ones) as Java records, handled by annotated
 * methods with priorities, a condition and wildcards ({@code system.*}, {@code *.error}), on the PostgreSQL bus.
 * Run: {@code mvn -B -q -pl examples -am package exec:java -DskipTests
 * -Dexec.mainClass=io.nexus.examples.TypedEventsExample} (add {@code -Dexec.args='--jdbc-url <url>'} for your own
 * PostgreSQL).
 */
public final class TypedEventsExample {
    private TypedEventsExample() {}

    @EventType("system.started")
    public record SystemStarted(String version, Map<String, String> config) {}

    @EventType("system.error")
    public record SystemError(String errorType, String errorMessage) {}

    @EventType("plugin.loaded")
    public record PluginLoaded(String pluginId, String pluginName, String pluginVersion) {}

    @EventType("plugin.error")
    public record PluginError(String pluginId, String errorType, String errorMessage) {}

    @EventType("http.request.completed")
    public record RequestCompleted(String requestId, int statusCode, double responseTimeMs, int responseSize) {}

    @EventType("database.query")
    public record DatabaseQuery(String queryType, String tableName, double executionTimeMs, int rowsAffected) {}

    @EventType("order.created")
    public record OrderCreated(String orderId, String userId, double totalAmount, String currency) {}

    /** The design's {@code @condition(lambda event: event.total_amount > 100.0)}. */
    public static final class LargeOrder implements Predicate<RecordedEvent> {
        @Override
        public boolean test(RecordedEvent event) {
            return event.dataAs(OrderCreated.class).totalAmount() > 100.0;
        }
    }

    /** The handlers: what each saw, in handling order. */
    public static final class Monitoring {
        final List<String> log = new CopyOnWriteArrayList<>();

        @EventHandler(value = "system.*", priority = 10)
        void system(RecordedEvent event) {
            log.add("system: " + event.type());
        }

        @EventHandler("*.error")
        void errors(RecordedEvent event) {
            log.add("error: " + event.type());
        }

        @EventHandler("plugin.loaded")
        void plugins(RecordedEvent event) {
            log.add("plugin: " + event.dataAs(PluginLoaded.class).pluginName());
        }

        @EventHandler(value = "order.created", condition = LargeOrder.class)
        void largeOrders(RecordedEvent event) {
            log.add("large order: " + event.dataAs(OrderCreated.class).orderId());
        }
    }

    public static void main(String[] args) throws Exception {
        ExampleDatabase.main(args, (dataSource, url, rest, out) -> run(dataSource, out));
    }

    /** Emits one event of each kind and returns what the handlers logged. */
    public static List<String> run(DataSource dataSource, PrintStream out) throws Exception {
        EventStoreSchema.migrate(dataSource, "typed_events");
        EventTypeRegistry types = EventTypeRegistry.builder()
                .register(
                        SystemStarted.class,
                        SystemError.class,
                        PluginLoaded.class,
                        PluginError.class,
                        RequestCompleted.class,
                        DatabaseQuery.class,
                        OrderCreated.class)
                .build();
        Monitoring monitoring = new Monitoring();
        try (PostgresEventBus bus = PostgresEventBus.builder(dataSource)
                .schema("typed_events")
                .types(types)
                .build()) {
            bus.register(monitoring);
            bus.subscribe(
                    "http.*",
                    event -> monitoring.log.add(
                            "http: " + event.dataAs(RequestCompleted.class).statusCode()));
            bus.subscribe(
                    "database.query",
                    event -> monitoring.log.add(
                            "query on " + event.dataAs(DatabaseQuery.class).tableName()));

            bus.emit(NewEvent.of(new SystemStarted("1.0", Map.of("backend", "postgres"))));
            bus.emit(NewEvent.of(new PluginLoaded("p1", "audit", "2.1")));
            bus.emit(NewEvent.of(new PluginError("p1", "IOError", "disk full")));
            bus.emit(NewEvent.of(new RequestCompleted("r1", 200, 12.5, 512)));
            bus.emit(NewEvent.of(new DatabaseQuery("SELECT", "users", 1.2, 1)));
            bus.emit(NewEvent.of(new SystemError("OutOfMemory", "heap")));
            bus.emit(NewEvent.of(new OrderCreated("o-small", "u1", 20.0, "USD")));
            bus.emit(NewEvent.of(new OrderCreated("o-large", "u1", 250.0, "USD")));
            awaitSize(monitoring.log, 8);
        }
        monitoring.log.forEach(line -> out.println("  " + line));
        return List.copyOf(monitoring.log);
    }

    /** Waits (up to 30 s) until {@code log} has {@code size} lines: handlers of one event may still be running. */
    static void awaitSize(List<String> log, int size) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (log.size() < size && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
