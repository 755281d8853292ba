package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.jdbc.EventRetention;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@PostgresTest
@Timeout(60)
class EventBusesTest {
    private final TestDatabase database;

    EventBusesTest(TestDatabase database) {
        this.database = database;
    }

    private NexusConfig postgresConfig(boolean tracing) {
        return postgresConfig(tracing, NexusConfig.DEFAULT_RETENTION_DAYS);
    }

    private NexusConfig postgresConfig(boolean tracing, int retentionDays) {
        return new NexusConfig(
                NexusConfig.Backend.POSTGRES,
                BusConfig.builder().batchSize(7).build(),
                true,
                retentionDays,
                tracing,
                PostgresConfig.of(database.jdbcUrl()).withSchema(database.schema()),
                null,
                null);
    }

    private long poolConnections(String poolName) throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + poolName + "'")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    @Test
    void a_memory_configuration_gives_a_memory_bus_with_its_settings() throws Exception {
        NexusConfig config = NexusConfig.fromYaml("""
                nexus:
                  backend: memory
                  persistence: false
                  tracing: false
                  worker_count: 3
                  max_queue_size: 50
                """, java.util.Map.of());

        try (EventBus bus = EventBuses.create(config)) {
            Recorder recorder = new Recorder();
            bus.subscribe("cause", event -> bus.emit(NewEvent.of("effect", "{}")));
            bus.subscribe("*", recorder);
            bus.emit(NewEvent.of("cause", "{}"));
            recorder.awaitCount(2);

            assertThat(bus).isInstanceOf(MemoryEventBus.class);
            assertThat(((MemoryEventBus) bus).config().workerCount()).isEqualTo(3);
            assertThat(((MemoryEventBus) bus).config().maxQueueSize()).isEqualTo(50);
            assertThat(recorder.single("effect").causationId()).isNull();
        }
    }

    @Test
    void a_postgres_configuration_gives_a_durable_bus_on_a_pool_it_closes() throws Exception {
        EventBus bus = EventBuses.create(postgresConfig(true));
        String type = "made." + UUID.randomUUID().toString().substring(0, 8);

        try (bus) {
            assertThat(poolConnections("nexus-bus-" + database.schema())).isPositive();
            Recorder recorder = new Recorder();
            bus.subscribe(type, recorder);
            bus.emit(NewEvent.of(type, "{}"));
            recorder.awaitCount(1);

            assertThat(bus).isInstanceOf(PostgresEventBus.class);
            PostgresEventBus postgres = (PostgresEventBus) bus;
            assertThat(postgres.config().batchSize()).isEqualTo(7);
            assertThat(postgres.store().schema()).isEqualTo(database.schema());
            assertThat(recorder.single(type).position()).isPositive();
        }

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (poolConnections("nexus-bus-" + database.schema()) > 0) {
            assertThat(System.nanoTime() - deadline)
                    .as("the pool's connections are closed")
                    .isNegative();
            Thread.sleep(20);
        }
    }

    @Test
    void a_postgres_bus_follows_the_tracing_setting() throws Exception {
        try (PostgresEventBus bus = EventBuses.createPostgres(postgresConfig(false))) {
            String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
            Recorder recorder = new Recorder();
            bus.subscribe(prefix + ".cause", event -> bus.emit(NewEvent.of(prefix + ".effect", "{}")));
            bus.subscribe(prefix + ".*", recorder);
            bus.emit(NewEvent.of(prefix + ".cause", "{}"));
            recorder.awaitCount(2);

            assertThat(recorder.single(prefix + ".effect").correlationId()).isNull();
            assertThat(bus.config().flushInterval()).isEqualTo(BusConfig.DEFAULT_FLUSH_INTERVAL);
        }
    }

    @Test
    void a_postgres_bus_records_its_meters_in_the_registry_given() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        String type = "metered." + UUID.randomUUID().toString().substring(0, 8);

        try (EventBus bus = EventBuses.create(postgresConfig(true), registry)) {
            bus.emit(NewEvent.of(type, "{}"));
        }

        assertThat(registry.get("nexus.bus.events.emitted")
                        .tag("type", type)
                        .counter()
                        .count())
                .isEqualTo(1.0);
    }

    @Test
    @Timeout(60)
    void with_retention_days_the_bus_removes_older_events_and_keeps_the_rest() throws Exception {
        String old = "retention-" + UUID.randomUUID().toString().substring(0, 8);
        String recent = "retention-" + UUID.randomUUID().toString().substring(0, 8);
        try (EventBus bus = EventBuses.create(postgresConfig(true))) {
            bus.emit(NewEvent.of(old, "{}"));
            bus.emit(NewEvent.of(recent, "{}"));
        }
        ageByThreeDays(old);

        try (EventBus bus = EventBuses.create(postgresConfig(true, 2))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (count(old) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }

        assertThat(count(old)).isZero();
        assertThat(count(recent)).isEqualTo(1);
    }

    @Test
    @Timeout(60)
    void the_seed_key_event_retention_days_in_yaml_drives_the_age_policy_and_the_job_logs_its_run() throws Exception {
        String old = "retention-" + UUID.randomUUID().toString().substring(0, 8);
        try (EventBus bus = EventBuses.create(postgresConfig(true))) {
            bus.emit(NewEvent.of(old, "{}"));
        }
        ageByThreeDays(old);
        String s = database.schema();
        List<String> logged = new CopyOnWriteArrayList<>();
        java.util.logging.Logger retentionLog = java.util.logging.Logger.getLogger(EventRetention.class.getName());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                logged.add(record.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        retentionLog.addHandler(capture);
        NexusConfig config = NexusConfig.fromYaml(
                "events:\n  backend: postgres\n  persist_events: true\n  event_retention_days: 2\n"
                        + "  postgresql:\n    jdbc_url: ${DB_URL}\n    schema: " + s + "\n",
                Map.of("DB_URL", database.jdbcUrl()));

        try (EventBus bus = EventBuses.create(config)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while ((count(old) > 0 || logged.isEmpty()) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        } finally {
            retentionLog.removeHandler(capture);
        }

        assertThat(config.retentionDays()).isEqualTo(2);
        assertThat(count(old)).isZero();
        assertThat(logged).anyMatch(line -> line.contains("removed"));
    }

    /** Makes the events of {@code type} three days old, and drops the subscriptions other tests left behind. */
    private void ageByThreeDays(String type) {
        String s = database.schema();
        // Other tests of this class leave durable subscriptions behind the head; retention would (rightly) hold the
        // old event back for them.
        database.execute("DELETE FROM " + s + ".subscriptions");
        database.execute("ALTER TABLE " + s + ".events DISABLE TRIGGER events_append_only_trg;"
                + " UPDATE " + s + ".events SET recorded_at = now() - interval '3 days' WHERE type = '" + type + "';"
                + " ALTER TABLE " + s + ".events ENABLE TRIGGER events_append_only_trg");
    }

    private long count(String type) throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT count(*) FROM " + database.schema() + ".events WHERE type = '" + type + "'")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private NexusConfig yaml(String backend, String extra) {
        return NexusConfig.fromYaml(
                "nexus:\n  backend: " + backend + "\n" + extra + "  postgres:\n    url: ${DB_URL}\n    schema: "
                        + database.schema() + "\n",
                Map.of("DB_URL", database.jdbcUrl()));
    }

    private static double globalCount(String name, String... tags) {
        return Metrics.globalRegistry.get(name).tags(tags).counter().count();
    }

    private static long globalTimed(String name, String... tags) {
        return Metrics.globalRegistry.get(name).tags(tags).timer().count();
    }

    private static void awaitTimed(long count, String... tags) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        // The timer moves just after the listener returns; the assertions after the wait say what is missing.
        while (System.nanoTime() < deadline) {
            Timer timer = Metrics.globalRegistry
                    .find("nexus.bus.processing.time")
                    .tags(tags)
                    .timer();
            if (timer != null && timer.count() >= count) {
                return;
            }
            Thread.sleep(10);
        }
    }

    @Test
    void yaml_metrics_without_a_registry_are_recorded_on_a_memory_bus_per_event_type() throws Exception {
        String placed = "placed." + UUID.randomUUID().toString().substring(0, 8);
        String shipped = "shipped." + UUID.randomUUID().toString().substring(0, 8);
        NexusConfig config =
                NexusConfig.fromYaml("nexus:\n  backend: memory\n  persistence: false\n  metrics: true\n", Map.of());

        try (EventBus bus = EventBuses.create(config)) {
            Recorder recorder = new Recorder();
            bus.subscribe("*", recorder);
            bus.emit(NewEvent.of(placed, "{}"));
            bus.emit(NewEvent.of(placed, "{}"));
            bus.emit(NewEvent.of(shipped, "{}"));
            recorder.awaitCount(3);
            awaitTimed(2, "type", placed);
            awaitTimed(1, "type", shipped);
        }

        assertThat(globalCount("nexus.bus.events.emitted", "type", placed)).isEqualTo(2);
        assertThat(globalCount("nexus.bus.events.emitted", "type", shipped)).isEqualTo(1);
        assertThat(globalCount("nexus.bus.events.processed", "subscription", "in-process", "type", placed))
                .isEqualTo(2);
        assertThat(globalCount("nexus.bus.events.processed", "subscription", "in-process", "type", shipped))
                .isEqualTo(1);
        assertThat(globalTimed("nexus.bus.processing.time", "subscription", "in-process", "type", placed))
                .isEqualTo(2);
        assertThat(globalTimed("nexus.bus.processing.time", "subscription", "in-process", "type", shipped))
                .isEqualTo(1);
    }

    @Test
    void yaml_metrics_without_a_registry_are_recorded_on_a_postgres_bus_per_event_type() throws Exception {
        String ns = "m" + UUID.randomUUID().toString().substring(0, 8);
        String placed = ns + ".placed";
        String shipped = ns + ".shipped";
        String durable = "metrics-" + ns;

        try (EventBus bus = EventBuses.create(yaml("postgres", "  metrics: true\n"))) {
            Recorder recorder = new Recorder();
            bus.subscribe(ns + ".*", recorder);
            Deliveries deliveries = new Deliveries();
            ((PostgresEventBus) bus).subscribeDurable(durable, ns + ".*", deliveries);
            bus.emit(NewEvent.of(placed, "{}"));
            bus.emit(NewEvent.of(placed, "{}"));
            bus.emit(NewEvent.of(shipped, "{}"));
            recorder.awaitCount(3);
            deliveries.awaitDistinct(3, Duration.ofSeconds(20));
            awaitTimed(2, "subscription", "in-process", "type", placed);
            awaitTimed(1, "subscription", "in-process", "type", shipped);
            awaitTimed(2, "subscription", durable, "type", placed);
            awaitTimed(1, "subscription", durable, "type", shipped);
        }

        assertThat(globalCount("nexus.bus.events.emitted", "type", placed)).isEqualTo(2);
        assertThat(globalCount("nexus.bus.events.emitted", "type", shipped)).isEqualTo(1);
        for (String subscription : new String[] {"in-process", durable}) {
            assertThat(globalCount("nexus.bus.events.processed", "subscription", subscription, "type", placed))
                    .as(subscription)
                    .isEqualTo(2);
            assertThat(globalCount("nexus.bus.events.processed", "subscription", subscription, "type", shipped))
                    .as(subscription)
                    .isEqualTo(1);
            assertThat(globalTimed("nexus.bus.processing.time", "subscription", subscription, "type", placed))
                    .as(subscription)
                    .isEqualTo(2);
            assertThat(globalTimed("nexus.bus.processing.time", "subscription", subscription, "type", shipped))
                    .as(subscription)
                    .isEqualTo(1);
        }
    }

    @Test
    void yaml_metrics_off_records_nothing_in_the_global_registry() throws Exception {
        String type = "quiet." + UUID.randomUUID().toString().substring(0, 8);

        try (EventBus bus = EventBuses.create(yaml("postgres", "  metrics: false\n"))) {
            Recorder recorder = new Recorder();
            bus.subscribe(type, recorder);
            bus.emit(NewEvent.of(type, "{}"));
            recorder.awaitCount(1);
        }

        assertThat(Metrics.globalRegistry
                        .find("nexus.bus.events.emitted")
                        .tag("type", type)
                        .counter())
                .isNull();
        assertThat(Metrics.globalRegistry
                        .find("nexus.bus.events.processed")
                        .tag("type", type)
                        .counter())
                .isNull();
    }

    @Test
    void a_postgres_bus_refuses_a_queue_size_or_emit_timeout_before_connecting() throws Exception {
        // No server listens on port 1: only a check made before connecting can give the configuration's own message.
        NexusConfig queued = NexusConfig.fromYaml("""
                nexus:
                  backend: postgres
                  max_queue_size: 500
                  postgres:
                    url: jdbc:postgresql://127.0.0.1:1/nowhere
                """, Map.of());
        NexusConfig timed = yaml("redis", "  emit_timeout: 2s\n  redis:\n    url: redis://localhost:6379\n");

        Throwable queueRefused = catchThrowable(() -> EventBuses.create(queued));
        Throwable timeoutRefused = catchThrowable(() -> EventBuses.createPostgres(timed));
        Throwable builderRefused = catchThrowable(() -> PostgresEventBus.builder(database.dataSource())
                .config(BusConfig.builder().maxQueueSize(5).build()));

        assertThat(queueRefused)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("max_queue_size (maxQueueSize) is 500, but the PostgreSQL bus")
                .hasMessageContaining("no event waits in a queue")
                .hasMessageEndingWith("leave it at its default 10000");
        assertThat(timeoutRefused)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("emit_timeout (emitTimeout) is PT2S, but the PostgreSQL bus");
        assertThat(builderRefused)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("max_queue_size (maxQueueSize) is 5");
    }
}
