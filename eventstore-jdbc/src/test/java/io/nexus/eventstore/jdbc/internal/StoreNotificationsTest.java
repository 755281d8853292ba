package io.nexus.eventstore.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@PostgresTest
@Timeout(60)
class StoreNotificationsTest {
    private static final Duration LONG_POLL = Duration.ofSeconds(30);

    private final TestDatabase database;
    private final PostgresEventStore store;

    StoreNotificationsTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
    }

    @AfterEach
    void close_store() {
        store.close();
    }

    /** Appends one event, retrying (idempotently: same event id) on pooled connections that were terminated. */
    private long appendOne() {
        StreamId stream = StreamId.of("note-" + UUID.randomUUID());
        NewEvent event = NewEvent.of("note.added", "{}");
        for (int attempt = 1; ; attempt++) {
            try {
                store.append(stream, ExpectedVersion.any(), List.of(event));
                return store.headPosition();
            } catch (EventStoreAccessException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }

    @Test
    void the_head_is_known_soon_after_start() throws InterruptedException {
        long head = appendOne();

        try (StoreNotifications notifications =
                StoreNotifications.start(database.dataSource(), database.schema(), LONG_POLL)) {
            assertThat(notifications.awaitHeadAbove(head - 1, Duration.ofSeconds(10)))
                    .isEqualTo(head);
            assertThat(notifications.knownHead()).isEqualTo(head);
        }
    }

    @Test
    void a_notification_wakes_a_waiter_long_before_the_next_poll() throws InterruptedException {
        try (StoreNotifications notifications =
                StoreNotifications.start(database.dataSource(), database.schema(), LONG_POLL)) {
            long before = notifications.awaitHeadAbove(-1, Duration.ofSeconds(10));

            long head = appendOne();

            assertThat(notifications.awaitHeadAbove(before, Duration.ofSeconds(10)))
                    .isGreaterThanOrEqualTo(head);
        }
    }

    @Test
    void the_store_tells_head_listeners_and_an_offered_head_wakes_waiters_at_once() throws InterruptedException {
        AtomicLong told = new AtomicLong();
        LongConsumer listener = head -> told.accumulateAndGet(head, Math::max);
        store.addHeadListener(listener);
        long head;
        try {
            head = appendOne();
        } finally {
            store.removeHeadListener(listener);
        }
        assertThat(told.get()).isEqualTo(head);
        assertThat(appendOne()).isGreaterThan(told.get()); // removed: told nothing new

        try (StoreNotifications notifications =
                StoreNotifications.start(database.dataSource(), database.schema(), LONG_POLL)) {
            long known = notifications.awaitHeadAbove(-1, Duration.ofSeconds(10));

            notifications.offer(known + 1_000);
            notifications.offer(known); // not above the known head: ignored

            assertThat(notifications.awaitHeadAbove(known, Duration.ZERO)).isEqualTo(known + 1_000);
            assertThat(notifications.knownHead()).isEqualTo(known + 1_000);
        }
    }

    @Test
    void without_notifications_the_poll_finds_and_sequences_new_commits() throws InterruptedException {
        try (StoreNotifications notifications =
                StoreNotifications.start(database.dataSource(), database.schema(), Duration.ofMillis(100))) {
            long before = notifications.awaitHeadAbove(-1, Duration.ofSeconds(10));
            // Committed but never sequenced by anyone: only the poll's sequence_commits() can give it a position.
            database.execute(
                    "SELECT next_expected_version FROM " + database.schema() + ".append_to_stream('raw-"
                            + UUID.randomUUID() + "', -1, ARRAY['" + UUID.randomUUID()
                            + "']::uuid[], ARRAY['raw.event'],"
                            + " '[{}]'::jsonb, '[null]'::jsonb, ARRAY[NULL]::uuid[], ARRAY[NULL]::uuid[], ARRAY[NULL]::text[])");

            assertThat(notifications.awaitHeadAbove(before, Duration.ofSeconds(10)))
                    .isEqualTo(before + 1);
        }
    }

    @Test
    void after_its_connection_is_terminated_it_reconnects_and_keeps_tracking_the_head() throws InterruptedException {
        try (StoreNotifications notifications =
                StoreNotifications.start(database.dataSource(), database.schema(), LONG_POLL)) {
            long before = notifications.awaitHeadAbove(-1, Duration.ofSeconds(10));

            assertThat(database.terminateConnections()).isPositive();
            long head = appendOne();

            assertThat(notifications.awaitHeadAbove(before, Duration.ofSeconds(20)))
                    .isGreaterThanOrEqualTo(head);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (notifications.reconnects() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(notifications.reconnects()).isEqualTo(1);
            long next = appendOne();
            assertThat(notifications.awaitHeadAbove(next - 1, Duration.ofSeconds(10)))
                    .isEqualTo(next);
        }
    }

    @Test
    void a_wait_that_nothing_satisfies_returns_the_known_head_when_it_times_out() throws InterruptedException {
        try (StoreNotifications notifications =
                StoreNotifications.start(database.dataSource(), database.schema(), LONG_POLL)) {
            long head = notifications.awaitHeadAbove(-1, Duration.ofSeconds(10));

            long answer = notifications.awaitHeadAbove(head, Duration.ofMillis(50));

            assertThat(answer).isEqualTo(head);
        }
    }

    @Test
    void shared_instances_are_one_per_data_source_and_schema_and_the_last_close_stops_it() throws InterruptedException {
        StoreNotifications first = StoreNotifications.shared(database.dataSource(), database.schema(), LONG_POLL);
        StoreNotifications second = StoreNotifications.shared(database.dataSource(), database.schema(), LONG_POLL);
        long before = first.awaitHeadAbove(-1, Duration.ofSeconds(10));

        first.close();
        long head = appendOne();

        assertThat(second).isSameAs(first);
        assertThat(second.awaitHeadAbove(before, Duration.ofSeconds(10))).isEqualTo(head);
        second.close();
        StoreNotifications third = StoreNotifications.shared(database.dataSource(), database.schema(), LONG_POLL);
        try {
            assertThat(third).isNotSameAs(first);
        } finally {
            third.close();
        }
    }

    @Test
    void bad_arguments_are_rejected_at_the_call() {
        assertThatThrownBy(() -> StoreNotifications.start(database.dataSource(), "bad schema", LONG_POLL))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad schema");
        assertThatThrownBy(() -> StoreNotifications.start(database.dataSource(), "nexus", Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT0S");
    }
}
