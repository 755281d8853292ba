package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A sequencing run commits without waiting for its WAL flush, so a database crash can take back positions that this
 * process was already told of. Until they are given again, a page up to the told head reads nothing there; a consumer
 * that moved its checkpoint to that head then skipped the events that got those positions after the restart. The
 * crash is simulated deterministically: the sequencer's row and the run's commit ranges are put back as the crash
 * leaves them, and a lock holds off the next run while the subscriber takes its turns.
 */
@PostgresTest
@Timeout(60)
class LostSequencingTest {
    private static final BusConfig FAST = BusConfig.builder()
            .batchSize(50)
            .flushInterval(Duration.ofMillis(20))
            .build();

    private final TestDatabase database;
    private final PostgresEventStore store;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    LostSequencingTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
        closeables.add(store);
    }

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @Test
    void a_subscriber_never_moves_its_checkpoint_past_positions_a_crash_took_back() throws Exception {
        String schema = database.schema();
        String type = "lost" + UUID.randomUUID().toString().substring(0, 8) + ".happened";
        String name = "lost-" + UUID.randomUUID().toString().substring(0, 8);
        PostgresEventBus bus = PostgresEventBus.builder(store, database.dataSource())
                .config(FAST)
                .build();
        closeables.add(bus);
        Deliveries before = new Deliveries();
        DurableSubscription first = bus.subscribeDurable(name, "*", before);
        bus.emit(NewEvent.of(type, "{}"));
        before.awaitDistinct(1, Duration.ofSeconds(20));
        first.close();
        long checkpoint = bus.status(name).orElseThrow().checkpoint();
        String sequencerBefore = query("SELECT last_position || '|' || last_commit_id || '|' || open_commit_ids::text"
                + " || '|' || open_since_xids::text FROM " + schema + ".sequencer WHERE id = 1");
        long headBefore = store.headPosition();

        NewEvent lostA = NewEvent.of(type, "{\"n\": 1}");
        NewEvent lostB = NewEvent.of(type, "{\"n\": 2}");
        bus.emit(lostA);
        bus.emit(lostB);
        long told = store.headPosition(); // the bus's head watch is told this head
        assertThat(told).isEqualTo(headBefore + 2);

        try (Connection locker = database.dataSource().getConnection()) {
            locker.setAutoCommit(false);
            try (Statement lock = locker.createStatement()) {
                // Sequencing runs take SHARE ROW EXCLUSIVE: they wait; reads and the row's update below do not.
                lock.execute("LOCK TABLE " + schema + ".sequencer IN ROW EXCLUSIVE MODE");
            }
            // What the crash leaves: the sequencer as before the lost run, and none of its commit ranges.
            String[] saved = sequencerBefore.split("\\|", 4);
            database.execute("UPDATE " + schema + ".sequencer SET last_position = " + saved[0] + ", last_commit_id = "
                    + saved[1] + ", open_commit_ids = '" + saved[2] + "', open_since_xids = '" + saved[3]
                    + "' WHERE id = 1");
            database.execute("DELETE FROM " + schema + ".commits WHERE last_position > " + headBefore);

            Deliveries after = new Deliveries();
            bus.subscribeDurable(name, "*", after);
            Thread.sleep(500); // some 25 turns of the subscriber, told head and all

            // Not bus.status(): it reads the head, which orders, and ordering waits for the lock.
            assertThat(Long.parseLong(
                            query("SELECT position FROM " + schema + ".subscriptions WHERE name = '" + name + "'")))
                    .as("the checkpoint while the positions are taken back")
                    .isEqualTo(checkpoint);
            assertThat(after.all()).isEmpty();

            locker.commit(); // the next run gives the positions again
            after.awaitDistinct(2, Duration.ofSeconds(20));
            assertThat(after.all())
                    .extracting(RecordedEvent::eventId)
                    .containsExactly(lostA.eventId(), lostB.eventId());
            await("the checkpoint reaches the head again")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> bus.status(name).orElseThrow().checkpoint() == told);
            assertThat(bus.status(name).orElseThrow().removedEvents()).isZero();
        }
    }

    private String query(String sql) throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }
}
