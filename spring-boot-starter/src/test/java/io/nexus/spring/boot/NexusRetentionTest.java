package io.nexus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.datasource.DelegatingDataSource;

/** {@code nexus.event-retention-days}: the retention job in the application's lifecycle, with a role that may delete. */
@PostgresTest
class NexusRetentionTest {
    private final TestDatabase database;
    private final PostgresEventStore store;
    private final ApplicationContextRunner runner;

    NexusRetentionTest(TestDatabase shared) {
        // A database of its own: the job sees every event and every subscription in the store.
        this.database = shared.sibling();
        this.store = PostgresEventStore.builder(database.dataSource()).build();
        // Delegating: the context must not close the test's pool, which Spring would infer from its close method.
        this.runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(NexusAutoConfiguration.class))
                .withBean(DataSource.class, () -> new DelegatingDataSource(database.dataSource()));
    }

    @AfterEach
    void close() {
        store.close();
        database.dataSource().close();
    }

    private RecordedEvent appendAgedEvent(StreamId stream, int days) {
        store.append(stream, ExpectedVersion.any(), List.of(NewEvent.of("user.registered", "{}")));
        RecordedEvent event = store.readStream(stream, 0, 10).get(0);
        database.execute("ALTER TABLE nexus.events DISABLE TRIGGER events_append_only_trg");
        database.execute("UPDATE nexus.events SET recorded_at = now() - interval '" + days + " days' WHERE event_id = '"
                + event.eventId() + "'");
        database.execute("ALTER TABLE nexus.events ENABLE TRIGGER events_append_only_trg");
        return event;
    }

    @Test
    void the_job_removes_an_aged_event_every_subscription_has_processed_and_keeps_one_that_is_not_processed()
            throws Exception {
        StreamId processed = StreamId.of("user-" + UUID.randomUUID());
        StreamId unprocessed = StreamId.of("user-" + UUID.randomUUID());
        appendAgedEvent(processed, 8);
        long processedUpTo = store.headPosition();
        appendAgedEvent(unprocessed, 8);
        database.execute("INSERT INTO nexus.subscriptions (name, kind, position) VALUES ('mailer', 'subscription', "
                + processedUpTo + ")");

        runner.withPropertyValues("nexus.event-retention-days=7", "nexus.retention-interval=1")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(NexusRetention.class);

                    Eventually.until(
                            "the aged, processed event is removed",
                            () -> store.readAll(0, 10).stream()
                                    .noneMatch(e -> e.streamId().equals(processed)));
                    assertThat(store.readAll(0, 10))
                            .as("the event the subscription 'mailer' has not processed stays")
                            .anySatisfy(e -> assertThat(e.streamId()).isEqualTo(unprocessed));
                    assertThat(context.getBean(NexusRetention.class).isRunning())
                            .isTrue();
                });
    }

    @Test
    void without_retention_days_there_is_no_job() {
        runner.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(NexusRetention.class));
    }

    @Test
    void an_owner_url_whose_role_may_not_delete_events_fails_the_start_naming_the_property() {
        String role = "nexus_reader_" + UUID.randomUUID().toString().replace("-", "");
        database.execute("CREATE ROLE " + role + " LOGIN");
        try {
            database.execute("GRANT USAGE ON SCHEMA nexus TO " + role);
            database.execute("GRANT SELECT ON nexus.events TO " + role);
            String url = database.jdbcUrl().replaceAll("\\?.*", "") + "?user=" + role;

            runner.withPropertyValues("nexus.event-retention-days=7", "nexus.postgresql.owner-url=" + url)
                    .run(context -> assertThat(context)
                            .getFailure()
                            .rootCause()
                            .isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("nexus.event-retention-days is 7")
                            .hasMessageContaining("the role of nexus.postgresql.owner-url may not delete events")
                            .hasMessageContaining("schema owner's role"));
        } finally {
            database.execute("DROP OWNED BY " + role);
            database.execute("DROP ROLE " + role);
        }
    }
}
