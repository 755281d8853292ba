package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.HeadNotifications;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PgBouncer;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Durable subscriptions through a real PgBouncer in transaction pooling (pool URL with {@code prepareThreshold=0}):
 * the events of another process reach a subscriber exactly once and in order, woken either by notifications on a
 * dedicated server connection or by polling alone.
 */
@PostgresTest
@Timeout(120)
class PgBouncerDeliveryTest {
    private static final int EVENTS = 60;

    private final TestDatabase database;
    private PgBouncer bouncer;
    private HikariDataSource pool;
    private HikariDataSource otherProcessPool;

    PgBouncerDeliveryTest(TestDatabase database) {
        this.database = database;
    }

    @BeforeEach
    void start_pgbouncer() {
        bouncer = PgBouncer.start(database, 10);
        pool = bouncer.pool(6);
        otherProcessPool = bouncer.pool(3);
    }

    @AfterEach
    void stop_pgbouncer() {
        otherProcessPool.close();
        pool.close();
        bouncer.close();
    }

    @Test
    void a_durable_subscription_woken_by_a_dedicated_listen_connection_gets_another_process_events_once_in_order()
            throws Exception {
        deliversEveryEventOnceInOrder(HeadNotifications.listen(database.jdbcUrl()));
    }

    @Test
    void a_durable_subscription_that_only_polls_gets_another_process_events_once_in_order() throws Exception {
        deliversEveryEventOnceInOrder(HeadNotifications.pollOnly());
    }

    private void deliversEveryEventOnceInOrder(HeadNotifications notifications) throws Exception {
        String type = "bounced" + UUID.randomUUID().toString().substring(0, 8) + ".happened";
        List<RecordedEvent> delivered = new CopyOnWriteArrayList<>();
        try (PostgresEventStore store = PostgresEventStore.builder(pool)
                        .notifications(notifications)
                        .build();
                PostgresEventBus subscriber = PostgresEventBus.builder(store, pool)
                        .flushInterval(Duration.ofMillis(200))
                        .build();
                PostgresEventStore otherStore = PostgresEventStore.builder(otherProcessPool)
                        .notifications(HeadNotifications.pollOnly())
                        .build();
                PostgresEventBus otherProcess =
                        PostgresEventBus.builder(otherStore, otherProcessPool).build()) {
            subscriber.subscribeDurable("bounced-" + UUID.randomUUID(), type, delivered::add);

            for (int i = 0; i < EVENTS; i++) {
                otherProcess.emit(NewEvent.of(type, RawJson.of("{\"n\":" + i + "}")));
            }

            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (delivered.size() < EVENTS && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(300); // a duplicate would follow within the next batch
            assertThat(delivered).hasSize(EVENTS);
            assertThat(delivered).extracting(RecordedEvent::position).isSorted().doesNotHaveDuplicates();
            for (int i = 0; i < EVENTS; i++) {
                assertThat(((RawJson) delivered.get(i).data()).json().replace(" ", ""))
                        .isEqualTo("{\"n\":" + i + "}");
            }
        }
    }
}
