package io.nexus.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.contract.EvolvingEvents;
import io.nexus.eventstore.core.contract.EvolvingEvents.ContactChanged;
import io.nexus.eventstore.core.contract.TestEvents;
import io.nexus.eventstore.jdbc.internal.StoreNotifications;
import io.nexus.testing.PgBouncer;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The store through a real PgBouncer in transaction pooling, the setup where a LISTEN on a pooled connection is
 * accepted and never delivered: the global order stays gap-safe, a dedicated LISTEN connection to the server wakes
 * subscribers, polling works without one, and a LISTEN through the bouncer is detected and reported, not silent.
 */
@PostgresTest
@Timeout(120)
class PgBouncerTest {
    private static final int WRITERS = 8;
    private static final Duration RUN_FOR = Duration.ofSeconds(4);
    private static final Duration LONG_POLL = Duration.ofSeconds(30);

    private final TestDatabase database;
    private PgBouncer bouncer;
    private HikariDataSource pool;

    PgBouncerTest(TestDatabase database) {
        this.database = database;
    }

    @BeforeEach
    void start_pgbouncer() {
        bouncer = PgBouncer.start(database, WRITERS + 4);
        pool = bouncer.pool(WRITERS + 4);
    }

    @AfterEach
    void stop_pgbouncer() {
        pool.close();
        bouncer.close();
    }

    @Test
    void a_reader_following_the_global_order_through_pgbouncer_sees_every_committed_event_once_in_order()
            throws Exception {
        try (PostgresEventStore store = PostgresEventStore.builder(pool)
                .notifications(HeadNotifications.pollOnly())
                .build()) {
            GapSafetyScenario.Result result = GapSafetyScenario.builder(pool, store)
                    .writers(WRITERS)
                    .runFor(RUN_FOR)
                    .streams("bouncer", 24)
                    .moreCommittedThan(100)
                    .build()
                    .run();

            result.assertGapSafe();
        }
    }

    @Test
    void an_erasure_in_another_process_holds_at_once_for_a_reader_through_pgbouncer_without_notifications() {
        StreamId stream = TestEvents.uniqueStream("customer");
        String subject = "cust-" + UUID.randomUUID();
        ContactChanged changed = new ContactChanged(subject, "Ada Lovelace", "ada@example.org", "gold");
        try (PostgresEventStore direct = PostgresEventStore.builder(database.dataSource())
                        .types(EvolvingEvents.registry())
                        .build();
                PostgresEventStore bounced = PostgresEventStore.builder(pool)
                        .types(EvolvingEvents.registry())
                        .notifications(HeadNotifications.pollOnly())
                        .build()) {
            direct.append(stream, ExpectedVersion.noStream(), List.of(NewEvent.of(changed)));
            RecordedEvent before = bounced.readStream(stream, 1, 1).get(0);

            direct.eraseSubject(subject);

            assertThat(before.data()).isEqualTo(changed);
            assertThat(bounced.readStream(stream, 1, 1).get(0).data())
                    .isEqualTo(new ContactChanged(subject, null, null, "gold"));
            assertThat(bounced.readAll(before.position(), 1).get(0).isRedacted())
                    .isTrue();
        }
    }

    @Test
    void another_process_append_wakes_a_watch_listening_on_a_dedicated_server_connection_before_any_poll()
            throws Exception {
        try (PostgresEventStore store = PostgresEventStore.builder(pool)
                        .notifications(HeadNotifications.listen(database.jdbcUrl()))
                        .build();
                HikariDataSource otherPool = bouncer.pool(2);
                PostgresEventStore otherProcess = PostgresEventStore.builder(otherPool)
                        .notifications(HeadNotifications.pollOnly())
                        .build();
                HeadWatch watch = store.watchHead(LONG_POLL)) {
            awaitListening(watch);
            long before = watch.awaitHeadAbove(-1, Duration.ofSeconds(10));

            otherProcess.append(
                    StreamId.of("woken-" + UUID.randomUUID()),
                    ExpectedVersion.any(),
                    List.of(NewEvent.of("test.event", "{}")));
            long appended = otherProcess.headPosition();

            // The one poll ran at start; the next is 30 s away, so only the notification can bring the head.
            assertThat(watch.awaitHeadAbove(before, Duration.ofSeconds(10))).isGreaterThanOrEqualTo(appended);
            assertThat(watch.isListening()).isTrue();
        }
    }

    @Test
    void with_poll_only_a_commit_nobody_sequenced_reaches_the_watch_by_polling_through_pgbouncer() throws Exception {
        try (PostgresEventStore store = PostgresEventStore.builder(pool)
                        .notifications(HeadNotifications.pollOnly())
                        .build();
                HeadWatch watch = store.watchHead(Duration.ofMillis(100))) {
            long before = watch.awaitHeadAbove(-1, Duration.ofSeconds(10));

            try (Connection plainJdbc = DriverManager.getConnection(database.jdbcUrl())) {
                RawAppends.append(plainJdbc, "raw-" + UUID.randomUUID(), List.of(UUID.randomUUID()));
            }

            assertThat(watch.awaitHeadAbove(before, Duration.ofSeconds(10))).isEqualTo(before + 1);
            assertThat(watch.isListening()).isFalse();
        }
    }

    @Test
    void a_listen_on_a_pooled_connection_through_pgbouncer_is_reported_once_and_replaced_by_polling() throws Exception {
        try (CapturedWarnings warnings = new CapturedWarnings();
                PostgresEventStore store = PostgresEventStore.builder(pool).build();
                HeadWatch watch = store.watchHead(Duration.ofMillis(100))) {
            warnings.awaitOne(Duration.ofSeconds(30));
            long before = watch.awaitHeadAbove(-1, Duration.ofSeconds(10));

            RawAppends.appendCommitted(pool, "after-fallback-" + UUID.randomUUID(), UUID.randomUUID());

            assertThat(watch.awaitHeadAbove(before, Duration.ofSeconds(10))).isEqualTo(before + 1);
            assertThat(store.notifications()).isEqualTo(HeadNotifications.listenOnPool());
            assertThat(watch.isListening()).isFalse();
            assertThat(warnings.messages()).hasSize(1);
            assertThat(warnings.messages().get(0))
                    .contains("Notifications are not delivered")
                    .contains("PgBouncer in transaction pooling")
                    .contains("a connection of the store's DataSource")
                    .contains("HeadNotifications.listen(")
                    .contains("HeadNotifications.pollOnly()");
        }
    }

    @Test
    void a_store_built_from_a_pgbouncer_url_detects_that_its_dedicated_listen_goes_through_the_bouncer()
            throws Exception {
        try (CapturedWarnings warnings = new CapturedWarnings();
                PostgresEventStore store = PostgresEventStore.builder(bouncer.jdbcUrl())
                        .maxPoolSize(3)
                        .build();
                HeadWatch watch = store.watchHead(Duration.ofMillis(100))) {
            warnings.awaitOne(Duration.ofSeconds(30));

            assertThat(store.notifications()).isEqualTo(HeadNotifications.listen(bouncer.jdbcUrl()));
            assertThat(watch.isListening()).isFalse();
            assertThat(warnings.messages())
                    .singleElement()
                    .asString()
                    .contains("a dedicated connection to " + bouncer.jdbcUrl());
        }
    }

    private static void awaitListening(HeadWatch watch) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!watch.isListening() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(watch.isListening())
                .as("the LISTEN on the direct connection answered its probe")
                .isTrue();
    }

    /** The WARNINGs the head tracker logs (System.Logger goes to java.util.logging here) while open. */
    private static final class CapturedWarnings extends Handler implements AutoCloseable {
        private final Logger logger = Logger.getLogger(StoreNotifications.class.getName());
        private final List<String> messages = new CopyOnWriteArrayList<>();

        CapturedWarnings() {
            logger.addHandler(this);
        }

        List<String> messages() {
            return List.copyOf(messages);
        }

        void awaitOne(Duration maxWait) throws InterruptedException {
            long deadline = System.nanoTime() + maxWait.toNanos();
            while (messages.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(messages)
                    .as("a warning that notifications are not delivered")
                    .isNotEmpty();
        }

        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()
                    && record.getMessage().startsWith("Notifications are not delivered")) {
                messages.add(record.getMessage());
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }
}
