package io.nexus.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.contract.TestEvents;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@PostgresTest
class GlobalOrderTest {
    private static final int WRITERS = 16;
    private static final Duration RUN_FOR = Duration.ofSeconds(4);

    private final TestDatabase database;
    private final PostgresEventStore store;

    GlobalOrderTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .types(EventTypeRegistry.rawJson())
                .build();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    @Timeout(60)
    void the_background_sequencer_orders_every_concurrent_append_without_a_reader_asking() throws Exception {
        int perWriter = 25;
        long before = store.headPosition();
        AtomicLong told = new AtomicLong(before);
        store.addHeadListener(head -> told.accumulateAndGet(head, Math::max));
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            writers.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < perWriter; i++) {
                    store.append(
                            TestEvents.uniqueStream("order"),
                            ExpectedVersion.noStream(),
                            List.of(TestEvents.orderPlaced()));
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> writer : writers) {
            writer.get();
        }
        pool.shutdown();

        // Only the store's own thread sequences here (nothing reads), woken by the appends; the head it reports and
        // the sequencer row must reach exactly every appended event.
        long expected = before + (long) WRITERS * perWriter;
        long waitUntil = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (told.get() < expected && System.nanoTime() < waitUntil) {
            Thread.sleep(5);
        }
        assertThat(told.get()).isEqualTo(expected);
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet row =
                        statement.executeQuery("SELECT last_position FROM " + database.schema() + ".sequencer")) {
            row.next();
            assertThat(row.getLong(1)).isEqualTo(expected);
        }
    }

    @RepeatedTest(2)
    @Timeout(120)
    void a_reader_following_the_global_order_sees_every_committed_event_once_and_no_rolled_back_one() throws Exception {
        GapSafetyScenario.Result result = GapSafetyScenario.builder(database.dataSource(), store)
                .writers(WRITERS)
                .runFor(RUN_FOR)
                .streams("gap", 48)
                .moreCommittedThan(500)
                .build()
                .run();

        result.assertGapSafe();
    }

    @Test
    @Timeout(60)
    void a_transaction_held_open_elsewhere_does_not_hold_back_events_committed_meanwhile() throws Exception {
        TestDatabase other = database.sibling();
        try (Connection otherDb = other.dataSource().getConnection();
                Connection sameDb = database.dataSource().getConnection();
                Statement otherStatement = otherDb.createStatement()) {
            otherDb.setAutoCommit(false);
            otherStatement.execute("CREATE TABLE hold (id int); INSERT INTO hold VALUES (1)");
            sameDb.setAutoCommit(false);
            UUID late = UUID.randomUUID();
            RawAppends.append(sameDb, "late-1", List.of(late));
            long from = store.headPosition() + 1;

            UUID prompt = UUID.randomUUID();
            RawAppends.appendCommitted(database.dataSource(), "prompt-1", prompt);
            List<RecordedEvent> whileOpen = store.readAll(from, 100);
            sameDb.commit();
            List<RecordedEvent> afterCommit = store.readAll(from, 100);

            assertThat(whileOpen).extracting(RecordedEvent::eventId).containsExactly(prompt);
            assertThat(afterCommit).extracting(RecordedEvent::eventId).containsExactly(prompt, late);
            assertThat(afterCommit.get(1).position())
                    .isEqualTo(afterCommit.get(0).position() + 1);
            otherDb.rollback();
        } finally {
            other.dataSource().close();
        }
    }

    @Test
    @Timeout(60)
    void a_rolled_back_append_stays_an_open_commit_id_while_an_older_transaction_runs_and_holds_back_nothing()
            throws Exception {
        TestDatabase other = database.sibling();
        try (Connection otherDb = other.dataSource().getConnection();
                Connection rolledBack = database.dataSource().getConnection();
                Statement otherStatement = otherDb.createStatement()) {
            otherDb.setAutoCommit(false);
            otherStatement.execute("CREATE TABLE hold (id int); INSERT INTO hold VALUES (1)");
            long from = store.headPosition() + 1;
            rolledBack.setAutoCommit(false);
            RawAppends.append(rolledBack, "rolled-back-1", List.of(UUID.randomUUID()));
            rolledBack.rollback();
            UUID first = UUID.randomUUID();
            RawAppends.appendCommitted(database.dataSource(), "after-1", first);

            store.headPosition();
            List<Long> openWhileHeld = openCommitIds();
            UUID second = UUID.randomUUID();
            RawAppends.appendCommitted(database.dataSource(), "after-2", second);
            List<RecordedEvent> whileHeld = store.readAll(from, 100);
            otherDb.rollback();

            assertThat(openWhileHeld).hasSize(1);
            assertThat(whileHeld).extracting(RecordedEvent::eventId).containsExactly(first, second);
            assertThat(whileHeld.get(1).position()).isEqualTo(whileHeld.get(0).position() + 1);
            assertThat(openCommitIds()).containsExactlyElementsOf(openWhileHeld);
        } finally {
            other.dataSource().close();
        }
        // Other builds share this server and their transactions hold the xmin back too, so wait for it to pass: each
        // round commits one more append, which makes the next run do its work (and forget what it may).
        long waitUntil = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!openCommitIds().isEmpty() && System.nanoTime() < waitUntil) {
            RawAppends.appendCommitted(database.dataSource(), "later-" + UUID.randomUUID(), UUID.randomUUID());
            store.headPosition();
            Thread.sleep(50);
        }
        assertThat(openCommitIds()).isEmpty();
    }

    private List<Long> openCommitIds() throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet row =
                        statement.executeQuery("SELECT open_commit_ids FROM " + database.schema() + ".sequencer")) {
            row.next();
            return List.of((Long[]) row.getArray(1).getArray());
        }
    }
}
