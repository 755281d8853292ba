package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.EventStoreException;
import io.nexus.eventstore.core.SchemaNotMigratedException;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A bus or projection daemon started on a database that is down or a schema nobody migrated says so at once. */
@PostgresTest
@Timeout(60)
class EventBusStartTest {
    private static final String URL_PASSWORD = "url-s3cret-17";
    private static final String CONFIG_PASSWORD = "config-s3cret-23";

    private final TestDatabase database;

    EventBusStartTest(TestDatabase database) {
        this.database = database;
    }

    private static NexusConfig config(String url, String schema, String password) {
        return new NexusConfig(
                NexusConfig.Backend.POSTGRES,
                BusConfig.defaults(),
                true,
                NexusConfig.DEFAULT_RETENTION_DAYS,
                true,
                new PostgresConfig(
                        url,
                        null,
                        password,
                        schema,
                        PostgresConfig.DEFAULT_POOL_SIZE,
                        PostgresConfig.Notifications.LISTEN,
                        null,
                        true),
                null,
                null);
    }

    @Test
    void event_buses_create_on_a_database_that_is_down_throws_the_access_error_naming_host_port_and_database() {
        NexusConfig down = config(
                "jdbc:postgresql://127.0.0.1:1/orders_db?user=app&password=" + URL_PASSWORD, "nexus", CONFIG_PASSWORD);

        Throwable thrown = catchThrowable(() -> EventBuses.create(down));

        assertThat(thrown)
                .isInstanceOf(EventStoreAccessException.class)
                .hasMessageContaining("database 'orders_db' at 127.0.0.1:1")
                .hasMessageNotContaining(URL_PASSWORD)
                .hasMessageNotContaining(CONFIG_PASSWORD);
    }

    @Test
    void event_buses_create_on_a_schema_never_migrated_throws_the_not_migrated_error_naming_the_migrate_call() {
        NexusConfig unmigrated = config(database.jdbcUrl(), "bus_never_migrated", null);

        Throwable thrown = catchThrowable(() -> EventBuses.create(unmigrated));

        assertThat(thrown)
                .isInstanceOf(SchemaNotMigratedException.class)
                .hasMessageContaining("EventStoreSchema.migrate(dataSource, \"bus_never_migrated\")")
                .hasMessageContaining("migrate --url <jdbc-url> --schema bus_never_migrated");
        assertThat(((SchemaNotMigratedException) thrown).schema()).isEqualTo("bus_never_migrated");
    }

    @Test
    void a_bus_on_a_callers_data_source_and_an_empty_schema_fails_at_build_with_the_not_migrated_error() {
        database.execute("CREATE SCHEMA IF NOT EXISTS bus_empty");

        Throwable thrown = catchThrowable(() -> PostgresEventBus.builder(database.dataSource())
                .schema("bus_empty")
                .build()
                .close());

        assertThat(thrown)
                .isInstanceOf(SchemaNotMigratedException.class)
                .hasMessageContaining("EventStoreSchema.migrate(dataSource, \"bus_empty\")");
    }

    @Test
    void a_projection_daemon_on_a_schema_never_migrated_fails_at_start_with_the_not_migrated_error() {
        try (PostgresEventStore store = PostgresEventStore.builder(database.dataSource())
                        .schema("daemon_never_migrated")
                        .build();
                ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                        .register(Projection.of("totals", EventFilter.ALL, (handle, event) -> {}, handle -> {}))
                        .build()) {

            Throwable thrown = catchThrowable(daemon::start);

            assertThat(thrown)
                    .isInstanceOf(SchemaNotMigratedException.class)
                    .hasMessageContaining("EventStoreSchema.migrate(dataSource, \"daemon_never_migrated\")");
            assertThat(catchThrowable(daemon::start))
                    .as("nothing started, so it may be started again")
                    .isInstanceOf(EventStoreException.class);
        }
    }
}
