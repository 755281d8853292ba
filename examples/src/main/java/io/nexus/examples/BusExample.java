package io.nexus.examples;

import io.nexus.eventbus.DurableSubscription;
import io.nexus.eventbus.EventBus;
import io.nexus.eventbus.EventBuses;
import io.nexus.eventbus.EventHandler;
import io.nexus.eventbus.MemoryEventBus;
import io.nexus.eventbus.NexusConfig;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.migrations.EventStoreSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * The event bus: in-process handlers on the memory bus (a lambda and an annotated method), a durable subscription on
 * the PostgreSQL bus, and a bus built from YAML configuration.
 */
public final class BusExample {
    private BusExample() {}

    /** Annotated handlers, registered by scanning the object. */
    static final class Welcomer {
        final List<String> log = new CopyOnWriteArrayList<>();

        @EventHandler(value = "user.registered", priority = 10)
        void greet(RecordedEvent event) {
            log.add("welcome " + event.data());
        }
    }

    /** In-process handlers on the memory bus; returns what they logged, in handling order. */
    public static List<String> inProcess() throws Exception {
        Welcomer welcomer = new Welcomer();
        try (MemoryEventBus bus =
                MemoryEventBus.builder().workerCount(2).maxQueueSize(1_000).build()) {
            bus.subscribe("user.*", event -> welcomer.log.add("audit " + event.type()), 0);
            bus.register(welcomer); // @EventHandler methods
            var next = bus.waitFor("user.registered", Duration.ofSeconds(5)); // request/response over events

            bus.emit(NewEvent.of("user.registered", "ada"));
            next.get(5, TimeUnit.SECONDS);
        }
        return List.copyOf(welcomer.log);
    }

    /** A durable subscription on the PostgreSQL bus; returns the types it received. */
    public static List<String> durable(DataSource dataSource) throws Exception {
        EventStoreSchema.migrate(dataSource, "bus_example");
        List<String> received = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(2);
        try (PostgresEventBus bus = PostgresEventBus.builder(dataSource)
                        .schema("bus_example")
                        .build();
                DurableSubscription mailer = bus.subscribeDurable("mailer", "order.*", event -> {
                    received.add(event.type()); // at least once, after commit
                    done.countDown();
                })) {
            bus.emit(NewEvent.of("order.placed", "{\"id\":42}"));
            bus.emit(NewEvent.of("order.shipped", "{\"id\":42}"));
            done.await(30, TimeUnit.SECONDS);
        }
        return List.copyOf(received);
    }

    /** A bus built from YAML; {@code jdbcUrl} is substituted for {@code ${NEXUS_DB_URL}}. */
    public static String fromYaml(String jdbcUrl, DataSource dataSource) {
        EventStoreSchema.migrate(dataSource, "bus_example");
        NexusConfig config = NexusConfig.fromYaml("""
                nexus:
                  backend: postgres
                  batch_size: 200
                  tracing: true
                  postgres:
                    url: ${NEXUS_DB_URL}
                    schema: bus_example
                """, Map.of("NEXUS_DB_URL", jdbcUrl));
        try (EventBus bus = EventBuses.create(config)) {
            bus.emit(NewEvent.of("config.loaded", "{}"));
            return bus.getClass().getSimpleName();
        }
    }
}
