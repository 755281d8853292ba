package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
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
        return new NexusConfig(NexusConfig.Backend.POSTGRES, BusConfig.builder().batchSize(7).build(), true,
                retentionDays, tracing,
                new NexusConfig.Postgres(database.jdbcUrl(), null, null, database.schema()), null, null);
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
            assertThat(System.nanoTime() - deadline).as("the pool's connections are closed").isNegative();
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

        assertThat(registry.get("nexus.bus.events.emitted").tag("type", type).counter().count()).isEqualTo(1.0);
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
        String s = database.schema();
        database.execute("ALTER TABLE " + s + ".events DISABLE TRIGGER events_append_only_trg;"
                + " UPDATE " + s + ".events SET recorded_at = now() - interval '3 days' WHERE type = '" + old + "';"
                + " ALTER TABLE " + s + ".events ENABLE TRIGGER events_append_only_trg");

        try (EventBus bus = EventBuses.create(postgresConfig(true, 2))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (count(old) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }

        assertThat(count(old)).isZero();
        assertThat(count(recent)).isEqualTo(1);
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
}
