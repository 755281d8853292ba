package io.nexus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nexus.eventbus.EventBus;
import io.nexus.eventbus.MemoryEventBus;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventbus.SubscriptionAdmin;
import io.nexus.eventbus.SubscriptionStatus;
import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.SchemaNotMigratedException;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.HeadNotifications;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.datasource.DelegatingDataSource;

@PostgresTest
class NexusAutoConfigurationTest {
    private final TestDatabase database;
    private final ApplicationContextRunner runner;

    NexusAutoConfigurationTest(TestDatabase database) {
        this.database = database;
        // Delegating: the context must not close the test's pool, which Spring would infer from its close method.
        this.runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(NexusAutoConfiguration.class))
                .withBean(DataSource.class, () -> new DelegatingDataSource(database.dataSource()));
    }

    @Test
    void the_store_and_the_postgres_bus_run_on_the_applications_data_source() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            PostgresEventStore store = context.getBean(PostgresEventStore.class);
            EventBus bus = context.getBean(EventBus.class);
            assertThat(bus).isInstanceOf(PostgresEventBus.class);
            assertThat(store.schema()).isEqualTo("nexus");
            assertThat(((PostgresEventBus) bus).store()).isSameAs(store);
            long head = store.headPosition();

            bus.emit(NewEvent.of("user.registered", "{\"name\":\"ada\"}"));

            assertThat(store.headPosition()).isEqualTo(head + 1);
            assertThat(context).hasSingleBean(TransactionalAppender.class);
        });
    }

    @Test
    void properties_bind_relaxed_and_mean_what_the_yaml_keys_mean() {
        runner.withPropertyValues(
                        "nexus.batch_size=7", // relaxed: batch_size, batch-size and NEXUS_BATCH_SIZE are one key
                        "nexus.retry-delay=0.25", // a bare number is seconds, as in the YAML file
                        "nexus.flush-interval=250ms",
                        "nexus.retry-attempts=5",
                        "nexus.enable-tracing=false")
                .run(context -> {
                    PostgresEventBus bus = (PostgresEventBus) context.getBean(EventBus.class);

                    assertThat(bus.config().batchSize()).isEqualTo(7);
                    assertThat(bus.config().retryDelay()).isEqualTo(Duration.ofMillis(250));
                    assertThat(bus.config().flushInterval()).isEqualTo(Duration.ofMillis(250));
                    assertThat(bus.config().retryAttempts()).isEqualTo(5);
                    assertThat(context.getBean(io.nexus.eventbus.NexusConfig.class)
                                    .tracing())
                            .isFalse();
                });
    }

    @Test
    void a_bad_value_fails_the_start_with_the_readers_message_naming_the_key() {
        runner.withPropertyValues("nexus.batch-size=0").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("batch");
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("0");
        });
        runner.withPropertyValues("nexus.retry-delay=soon")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining("retry_delay")
                        .hasMessageContaining("'soon'"));
    }

    @Test
    void an_unknown_key_fails_the_start() {
        runner.withPropertyValues("nexus.postgresql.jdbc-url=jdbc:postgresql://elsewhere/db")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure())
                            .rootCause()
                            .hasMessageContaining("nexus.postgresql.jdbc-url");
                });
    }

    @Test
    void a_setting_that_cannot_run_is_refused_naming_what_it_needs() {
        runner.withPropertyValues("nexus.postgresql.notifications=listen")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining("nexus.postgresql.listen-url"));
        runner.withPropertyValues("nexus.backend=redis")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining("backend redis needs a redis: block"));
    }

    @Test
    void notifications_follow_the_yaml_modes_with_listen_on_pool_by_default() {
        runner.run(
                context -> assertThat(context.getBean(PostgresEventStore.class).notifications())
                        .isEqualTo(HeadNotifications.listenOnPool()));
        runner.withPropertyValues("nexus.postgresql.notifications=poll") // PgBouncer in transaction pooling
                .run(context -> assertThat(
                                context.getBean(PostgresEventStore.class).notifications())
                        .isEqualTo(HeadNotifications.pollOnly()));
        runner.withPropertyValues(
                        "nexus.postgresql.notifications=listen", "nexus.postgresql.listen-url=" + database.jdbcUrl())
                .run(context -> assertThat(
                                context.getBean(PostgresEventStore.class).notifications())
                        .isInstanceOf(HeadNotifications.Listen.class));
    }

    @Test
    void a_database_that_cannot_be_reached_fails_the_start_naming_where_it_looked() {
        PGSimpleDataSource nowhere = new PGSimpleDataSource();
        nowhere.setUrl("jdbc:postgresql://127.0.0.1:1/nowhere?connectTimeout=2");

        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(NexusAutoConfiguration.class))
                .withBean(DataSource.class, () -> nowhere)
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(causes(context.getStartupFailure()))
                            .anySatisfy(cause -> assertThat(cause)
                                    .isInstanceOf(EventStoreAccessException.class)
                                    .hasMessageContaining("127.0.0.1:1"));
                });
    }

    @Test
    void the_memory_backend_gives_an_in_process_bus() {
        runner.withPropertyValues("nexus.backend=memory").run(context -> {
            assertThat(context.getBean(EventBus.class)).isInstanceOf(MemoryEventBus.class);
        });
    }

    @Test
    void the_applications_own_store_and_bus_beans_replace_the_defaults() {
        try (PostgresEventStore own =
                PostgresEventStore.builder(database.dataSource()).build()) {
            runner.withBean("myStore", PostgresEventStore.class, () -> own).run(context -> {
                assertThat(context).hasSingleBean(PostgresEventStore.class);
                assertThat(context.getBean(PostgresEventStore.class)).isSameAs(own);
                assertThat(((PostgresEventBus) context.getBean(EventBus.class)).store())
                        .isSameAs(own);
            });
        }
        runner.withBean("myBus", EventBus.class, () -> MemoryEventBus.builder().build())
                .run(context -> {
                    assertThat(context).hasSingleBean(EventBus.class);
                    assertThat(context.getBean(EventBus.class)).isInstanceOf(MemoryEventBus.class);
                });
    }

    @Test
    void event_handler_methods_of_beans_receive_committed_events() {
        runner.withBean(TestApp.Greeter.class).run(context -> {
            TestApp.Greeter greeter = context.getBean(TestApp.Greeter.class);

            context.getBean(EventBus.class).emit(NewEvent.of("user.registered", "\"ada\""));

            Eventually.until("it happens", () -> greeter.greeted.size() == 1);
            assertThat(greeter.greeted.get(0)).contains("ada");
        });
    }

    @Test
    void projection_and_saga_beans_run_with_the_context_and_release_their_leases_when_it_closes() {
        database.execute("CREATE TABLE IF NOT EXISTS registrations (stream_id text)");
        String id = UUID.randomUUID().toString();
        runner.withBean(TestApp.Registrations.class)
                .withBean(TestApp.PingSaga.class)
                .run(context -> {
                    PostgresEventStore store = context.getBean(PostgresEventStore.class);
                    store.append(
                            StreamId.of("user", id),
                            ExpectedVersion.noStream(),
                            List.of(NewEvent.of("user.registered", "{}")));
                    store.append(
                            StreamId.of("ping", id), ExpectedVersion.noStream(), List.of(NewEvent.of("ping", "{}")));

                    Eventually.until("it happens", () -> registrations("user-" + id) == 1);
                    Eventually.until("it happens", () -> store.streamVersion(StreamId.of("pong", "ping-" + id)) == 1);
                    assertThat(context.getBean(NexusWorkers.class).projectionDaemon())
                            .isPresent();
                });

        SubscriptionAdmin admin = SubscriptionAdmin.create(
                PostgresEventStore.builder(database.dataSource()).build(), database.dataSource());
        assertThat(admin.status(SubscriptionStatus.Kind.PROJECTION, "registrations"))
                .hasValueSatisfying(status -> assertThat(status.owner()).isNull());
    }

    @Test
    void meters_go_to_the_applications_registry() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        runner.withBean(MeterRegistry.class, () -> registry)
                .withBean(TestApp.Greeter.class)
                .run(context -> {
                    TestApp.Greeter greeter = context.getBean(TestApp.Greeter.class);

                    context.getBean(EventBus.class).emit(NewEvent.of("user.registered", "\"ada\""));

                    Eventually.until("it happens", () -> greeter.greeted.size() == 1);
                    Eventually.until(
                            "it happens",
                            () -> registry.find("nexus.bus.events.processed").counter() != null
                                    && registry.find("nexus.bus.events.processed")
                                                    .counter()
                                                    .count()
                                            >= 1);
                    assertThat(registry.find("nexus.bus.events.emitted").counter())
                            .isNotNull();
                });
    }

    @Test
    void the_schema_is_migrated_at_start_when_enabled_and_refused_when_not_migrated() {
        String schema = "boot_" + Long.toString(System.nanoTime(), 36);
        runner.withPropertyValues("nexus.postgresql.schema=" + schema).run(context -> {
            assertThat(context).hasFailed();
            assertThat(causes(context.getStartupFailure()))
                    .anySatisfy(cause -> assertThat(cause)
                            .isInstanceOf(SchemaNotMigratedException.class)
                            .hasMessageContaining("EventStoreSchema.migrate"));
        });

        runner.withPropertyValues("nexus.postgresql.schema=" + schema, "nexus.migrate=true")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    PostgresEventStore store = context.getBean(PostgresEventStore.class);
                    store.append(
                            StreamId.of("user", "ada"),
                            ExpectedVersion.noStream(),
                            List.of(NewEvent.of("user.registered", "{}")));
                    assertThat(store.schema()).isEqualTo(schema);
                    assertThat(store.streamVersion(StreamId.of("user", "ada"))).isEqualTo(1);
                });
    }

    private static List<Throwable> causes(Throwable failure) {
        List<Throwable> causes = new java.util.ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            causes.add(t);
        }
        return causes;
    }

    private int registrations(String stream) throws Exception {
        try (var connection = database.dataSource().getConnection();
                var statement = connection.prepareStatement("SELECT count(*) FROM registrations WHERE stream_id = ?")) {
            statement.setString(1, stream);
            try (var rows = statement.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }
}
