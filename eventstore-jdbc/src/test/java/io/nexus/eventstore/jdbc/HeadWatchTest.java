package io.nexus.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The store's public way to follow its head, on a direct server: what the bus uses instead of the store's SQL. */
@PostgresTest
@Timeout(60)
class HeadWatchTest {
    private static final Duration LONG_POLL = Duration.ofSeconds(30);

    private final TestDatabase database;
    private final PostgresEventStore store;

    HeadWatchTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
    }

    @AfterEach
    void close_store() {
        store.close();
    }

    private long appendOne(PostgresEventStore target) {
        target.append(
                StreamId.of("watched-" + UUID.randomUUID()),
                ExpectedVersion.any(),
                List.of(NewEvent.of("test.event", "{}")));
        return target.headPosition();
    }

    private static void awaitListening(HeadWatch watch) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!watch.isListening() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(watch.isListening()).as("the LISTEN answered its probe").isTrue();
    }

    @Test
    void a_store_on_a_data_source_listens_on_the_pool_and_its_probe_comes_back() throws InterruptedException {
        try (HeadWatch watch = store.watchHead(LONG_POLL)) {
            awaitListening(watch);

            assertThat(store.notifications()).isEqualTo(HeadNotifications.listenOnPool());
            assertThat(watch.awaitHeadAbove(-1, Duration.ofSeconds(10))).isEqualTo(store.headPosition());
        }
    }

    @Test
    void this_store_s_own_appends_reach_the_watch_without_a_notification() throws InterruptedException {
        try (PostgresEventStore polling = PostgresEventStore.builder(database.dataSource())
                        .notifications(HeadNotifications.pollOnly())
                        .build();
                HeadWatch watch = polling.watchHead(LONG_POLL)) {
            long before = watch.awaitHeadAbove(-1, Duration.ofSeconds(10));

            long head = appendOne(polling);

            assertThat(watch.awaitHeadAbove(before, Duration.ofSeconds(10))).isEqualTo(head);
            assertThat(watch.isListening()).isFalse();
        }
    }

    @Test
    void a_store_built_from_a_jdbc_url_listens_on_a_dedicated_connection_woken_by_another_process() throws Exception {
        try (PostgresEventStore fromUrl = PostgresEventStore.builder(database.jdbcUrl())
                        .maxPoolSize(2)
                        .build();
                HeadWatch watch = fromUrl.watchHead(LONG_POLL)) {
            awaitListening(watch);
            long before = watch.awaitHeadAbove(-1, Duration.ofSeconds(10));

            long head = appendOne(store);

            assertThat(fromUrl.notifications()).isEqualTo(HeadNotifications.listen(database.jdbcUrl()));
            assertThat(watch.awaitHeadAbove(before, Duration.ofSeconds(10))).isGreaterThanOrEqualTo(head);
        }
    }

    @Test
    void watches_of_one_store_share_one_tracker_and_the_last_close_stops_it() throws Exception {
        try (HeadWatch first = store.watchHead(LONG_POLL);
                HeadWatch second = store.watchHead(LONG_POLL)) {
            awaitListening(first);
            awaitListening(second);

            assertThat(trackerThreads()).isEqualTo(1);
        }
        assertThat(awaitTrackerThreads(0)).isZero();
    }

    @Test
    void closing_a_watch_releases_its_waiter_and_closing_the_store_closes_the_watches_still_open() throws Exception {
        HeadWatch open = store.watchHead(LONG_POLL);
        HeadWatch closing = store.watchHead(LONG_POLL);
        long head = closing.awaitHeadAbove(-1, Duration.ofSeconds(10));
        CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                return closing.awaitHeadAbove(head + 1_000_000, Duration.ofSeconds(50));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });

        closing.close();
        closing.close(); // idempotent: must not close the tracker the other watch still uses

        assertThat(waiter.get(20, TimeUnit.SECONDS)).isEqualTo(head);
        assertThat(open.awaitHeadAbove(head - 1, Duration.ofSeconds(10))).isEqualTo(head);
        store.close();
        assertThat(awaitTrackerThreads(0)).isZero();
        assertThatThrownBy(() -> store.watchHead(LONG_POLL))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void bad_settings_are_refused_at_the_call_naming_the_value() {
        assertThatThrownBy(() -> store.watchHead(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT0S");
        assertThatThrownBy(() -> HeadNotifications.listen("jdbc:mysql://db/x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'jdbc:mysql://db/x'");
        assertThatThrownBy(
                        () -> PostgresEventStore.builder(database.dataSource()).schema("x".repeat(51)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 to 50 characters");
        assertThat(HeadNotifications.listen("jdbc:postgresql://db/x", "app", "s3cret")
                        .toString())
                .contains("app")
                .doesNotContain("s3cret");
    }

    /** The head trackers running in this JVM for the test schema: one thread each. */
    private int trackerThreads() {
        String name = "nexus-notifications-" + database.schema();
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.isAlive() && thread.getName().equals(name))
                .count();
    }

    private int awaitTrackerThreads(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int count = trackerThreads();
        while (count != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
            count = trackerThreads();
        }
        return count;
    }
}
