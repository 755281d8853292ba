package io.nexus.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.contract.TestEvents;
import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 9: a store handed a pool whose connections start with autocommit off (Spring's, and many applications')
 * must commit everything it writes itself: the appends, and the global order its sequencer and its reads assign.
 */
@PostgresTest
@AutoCommitOff
class AutoCommitOffPoolTest {
    private static final int WRITERS = 24;
    private static final Duration RUN_FOR = Duration.ofSeconds(4);

    private final TestDatabase database;
    private final PostgresEventStore store;

    AutoCommitOffPoolTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource()).types(EventTypeRegistry.rawJson()).build();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void the_pool_of_this_class_hands_out_connections_without_autocommit() throws Exception {
        try (Connection connection = database.dataSource().getConnection()) {
            assertThat(connection.getAutoCommit()).isFalse();
        }
    }

    @Test
    @Timeout(120)
    void issue_9_a_reader_following_the_global_order_while_24_writers_append_and_roll_back_sees_each_commit_once_in_order()
            throws Exception {
        Set<UUID> committed = ConcurrentHashMap.newKeySet();
        Set<UUID> rolledBack = ConcurrentHashMap.newKeySet();
        AtomicInteger running = new AtomicInteger(WRITERS);
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1);
        CountDownLatch start = new CountDownLatch(1);
        long deadline = System.nanoTime() + RUN_FOR.toNanos();
        long startPosition = store.headPosition() + 1;
        String run = UUID.randomUUID().toString().substring(0, 8);

        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            boolean throughTheStore = w % 2 == 0;
            writers.add(pool.submit(() -> {
                start.await();
                ThreadLocalRandom random = ThreadLocalRandom.current();
                try {
                    while (System.nanoTime() < deadline) {
                        List<NewEvent> events = new ArrayList<>();
                        for (int i = random.nextInt(1, 4); i > 0; i--) {
                            events.add(NewEvent.of("test.event", RawJson.of("{}")));
                        }
                        List<UUID> ids = events.stream().map(NewEvent::eventId).toList();
                        String stream = "ac" + run + "-" + random.nextInt(48);
                        if (throughTheStore) {
                            store.append(StreamId.of(stream), ExpectedVersion.any(), events);
                            committed.addAll(ids);
                            continue;
                        }
                        // The application's own transaction on the same pool: commits late, or rolls back.
                        try (Connection connection = database.dataSource().getConnection()) {
                            RawAppends.append(connection, stream, ids);
                            Thread.sleep(random.nextInt(0, 15));
                            if (random.nextInt(10) == 0) {
                                connection.rollback();
                                rolledBack.addAll(ids);
                            } else {
                                connection.commit();
                                committed.addAll(ids);
                            }
                        }
                    }
                } finally {
                    running.decrementAndGet();
                }
                return null;
            }));
        }
        Future<List<RecordedEvent>> reader = pool.submit(() -> {
            start.await();
            List<RecordedEvent> seen = new ArrayList<>();
            long next = startPosition;
            while (true) {
                boolean writersDone = running.get() == 0;
                List<RecordedEvent> page = store.readAll(next, 200);
                seen.addAll(page);
                if (!page.isEmpty()) {
                    next = page.get(page.size() - 1).position() + 1;
                } else if (writersDone) {
                    return seen;
                }
            }
        });
        start.countDown();
        for (Future<?> writer : writers) {
            writer.get(60, TimeUnit.SECONDS);
        }
        List<RecordedEvent> seen = reader.get(60, TimeUnit.SECONDS);
        pool.shutdown();

        List<UUID> seenIds = seen.stream().map(RecordedEvent::eventId).toList();
        assertThat(committed).hasSizeGreaterThan(500);
        assertThat(rolledBack).isNotEmpty();
        assertThat(seenIds).as("events seen").hasSize(committed.size());
        assertThat(new HashSet<>(seenIds)).as("distinct events seen").isEqualTo(committed);
        assertThat(seenIds).doesNotContainAnyElementsOf(rolledBack);
        for (int i = 0; i < seen.size(); i++) {
            assertThat(seen.get(i).position()).as("position of the %d-th event seen", i).isEqualTo(startPosition + i);
        }
        assertThat(lastSequencedPosition()).isEqualTo(startPosition + committed.size() - 1);
    }

    @Test
    void issue_9_append_all_commits_on_a_pool_without_autocommit() {
        StreamId first = TestEvents.uniqueStream("order");
        StreamId second = TestEvents.uniqueStream("order");

        store.appendAll(List.of(
                StreamAppend.of(first, ExpectedVersion.noStream(), List.of(TestEvents.orderPlaced())),
                StreamAppend.of(second, ExpectedVersion.noStream(), List.of(TestEvents.orderPlaced()))));

        assertThat(store.readStream(first, 1, 10)).hasSize(1);
        assertThat(store.readStream(second, 1, 10)).hasSize(1);
    }

    @Test
    void issue_9_positions_a_read_assigns_are_committed_and_never_assigned_again() throws Exception {
        UUID id = UUID.randomUUID();
        long head = store.headPosition();
        try (Connection connection = database.dataSource().getConnection()) {
            RawAppends.append(connection, TestEvents.uniqueStream("raw").value(), List.of(id));
            connection.commit();
        }

        long position = store.readAll(head + 1, 10).get(0).position();

        assertThat(lastSequencedPosition()).isEqualTo(position);
        assertThat(store.headPosition()).isEqualTo(position);
        assertThat(store.readAll(head + 1, 10)).extracting(RecordedEvent::eventId, RecordedEvent::position)
                .containsExactly(tuple(id, position));
    }

    /** The sequencer's row, read on a connection of the test's own: what was committed, not what a session saw. */
    private long lastSequencedPosition() throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT last_position FROM " + database.schema() + ".sequencer")) {
            row.next();
            return row.getLong(1);
        }
    }
}
