package io.nexus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventbus.DurableSubscription;
import io.nexus.eventbus.EventBus;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.datasource.DelegatingDataSource;

@PostgresTest
class NexusHealthIndicatorTest {
    private final TestDatabase database;
    private final ApplicationContextRunner runner;

    NexusHealthIndicatorTest(TestDatabase database) {
        this.database = database;
        // Each test in a schema of its own, so one test's dead letters or lag do not show in another's health.
        this.runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(NexusAutoConfiguration.class))
                .withBean(DataSource.class, () -> new DelegatingDataSource(database.dataSource()))
                .withPropertyValues(
                        "nexus.migrate=true", "nexus.postgresql.schema=health_" + Long.toString(System.nanoTime(), 36));
    }

    @Test
    void a_reachable_store_with_nothing_behind_is_up() {
        runner.run(context -> {
            context.getBean(EventBus.class).emit(NewEvent.of("user.registered", "{}"));

            Health health = context.getBean(NexusHealthIndicator.class).health();

            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsKey("head");
        });
    }

    @Test
    void a_database_that_cannot_be_reached_is_down() {
        PGSimpleDataSource nowhere = new PGSimpleDataSource();
        nowhere.setUrl("jdbc:postgresql://127.0.0.1:1/nowhere?connectTimeout=2");
        NexusHealthIndicator indicator = new NexusHealthIndicator(
                new StoreProbe(PostgresEventStore.builder(nowhere).build(), nowhere), Duration.ofSeconds(30), 10);

        Health health = indicator.health();

        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails().toString()).contains("Connection");
    }

    @Test
    void a_sequencer_that_cannot_run_is_down_until_it_runs_again() {
        runner.withPropertyValues("nexus.health.sequencer-stuck-after=200ms").run(context -> {
            PostgresEventStore store = context.getBean(PostgresEventStore.class);
            NexusHealthIndicator indicator = context.getBean(NexusHealthIndicator.class);
            try (Connection blocker = database.dataSource().getConnection();
                    Statement statement = blocker.createStatement()) {
                blocker.setAutoCommit(false);
                // What a sequencing run takes first: every run now waits behind this transaction.
                statement.execute("LOCK TABLE " + store.schema() + ".sequencer IN SHARE ROW EXCLUSIVE MODE");
                store.append(
                        StreamId.of("user", "ada"),
                        ExpectedVersion.any(),
                        List.of(NewEvent.of("user.registered", "{}")));
                Thread.sleep(400);

                Health stuck = indicator.health();

                assertThat(stuck.getStatus()).isEqualTo(Status.DOWN);
                assertThat(stuck.getDetails().get("sequencer").toString()).startsWith("stuck");
                blocker.rollback();
            }
            Eventually.until(
                    "the sequencer runs again",
                    () -> indicator.health().getStatus().equals(Status.UP));
        });
    }

    @Test
    void a_subscription_lagging_beyond_the_threshold_is_out_of_service() {
        runner.withPropertyValues("nexus.health.max-lag=2").run(context -> {
            PostgresEventBus bus = (PostgresEventBus) context.getBean(EventBus.class);
            try (DurableSubscription slow = bus.subscribeDurable("slow", "*", event -> {})) {
                Eventually.until(
                        "the subscription is registered",
                        () -> bus.status("slow").isPresent());
            }
            for (int i = 0; i < 5; i++) {
                bus.emit(NewEvent.of("user.registered", "{}"));
            }
            bus.store().headPosition(); // the five are ordered: lag counts sequenced positions

            Health health = context.getBean(NexusHealthIndicator.class).health();

            assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
            assertThat(health.getDetails().get("lagging")).isEqualTo(Map.of("subscription slow", 5L));
            NexusEndpoint.Report report = context.getBean(NexusEndpoint.class).report();
            assertThat(report.subscriptions()).singleElement().satisfies(s -> {
                assertThat(s.name()).isEqualTo("slow");
                assertThat(s.lag()).isEqualTo(5);
                assertThat(s.owner()).isNull();
            });
            assertThat(report.projections()).isEmpty();
        });
    }

    @Test
    void dead_letters_make_it_out_of_service() {
        runner.withPropertyValues("nexus.retry-attempts=0").run(context -> {
            PostgresEventBus bus = (PostgresEventBus) context.getBean(EventBus.class);
            NexusHealthIndicator indicator = context.getBean(NexusHealthIndicator.class);
            try (DurableSubscription failing = bus.subscribeDurable("failing", "*", event -> {
                throw new IllegalStateException("cannot handle " + event.type());
            })) {
                bus.emit(NewEvent.of("user.registered", "{}"));
                Eventually.until(
                        "the event is dead-lettered",
                        () -> !bus.deadLetters("failing", 1).isEmpty());
            }

            Health health = indicator.health();

            assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
            assertThat(health.getDetails().get("deadLetters")).isEqualTo(Map.of("failing", 1L));
            assertThat(context.getBean(NexusEndpoint.class).report().deadLetters())
                    .isEqualTo(Map.of("failing", 1L));
        });
    }
}
