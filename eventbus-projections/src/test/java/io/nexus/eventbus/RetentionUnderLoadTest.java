package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.EventRetention;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.eventstore.jdbc.RetentionPolicy;
import io.nexus.eventstore.jdbc.RetentionReport;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Retention runs in batches while 8 writers append and a slow durable subscription follows: nothing the subscriber
 * had not processed goes, and no append ever waits on a lock that retention holds (#12).
 */
@PostgresTest
@Timeout(300)
class RetentionUnderLoadTest {
    private static final int WRITERS = 8;
    private static final int OLD_EVENTS = 3_000;
    private static final String WRITER_APP = "nexus-test-writer";
    private static final String RETENTION_APP = "nexus-test-retention";

    private final TestDatabase database;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    RetentionUnderLoadTest(TestDatabase shared) {
        this.database = shared.sibling();
    }

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        database.dataSource().close();
    }

    private HikariDataSource pool(String applicationName, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(database.jdbcUrl());
        config.setMaximumPoolSize(size);
        config.setAutoCommit(database.autoCommit());
        config.addDataSourceProperty("ApplicationName", applicationName);
        HikariDataSource pool = new HikariDataSource(config);
        closeables.add(pool);
        return pool;
    }

    @Test
    void retention_while_eight_writers_append_and_a_subscriber_follows_loses_nothing_and_blocks_no_append()
            throws Exception {
        PostgresEventStore store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
        closeables.add(store);
        Set<UUID> appended = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < OLD_EVENTS / 10; i++) {
            List<NewEvent> batch = new ArrayList<>();
            for (int j = 0; j < 10; j++) {
                NewEvent event = NewEvent.of("load.old", "{}");
                appended.add(event.eventId());
                batch.add(event);
            }
            store.append(StreamId.of("old", i), ExpectedVersion.any(), batch);
        }
        String events = database.schema() + ".events";
        database.execute("ALTER TABLE " + events + " DISABLE TRIGGER events_append_only_trg");
        database.execute("UPDATE " + events + " SET recorded_at = now() - interval '40 days'");
        database.execute("ALTER TABLE " + events + " ENABLE TRIGGER events_append_only_trg");

        Set<UUID> delivered = ConcurrentHashMap.newKeySet();
        PostgresEventBus bus = PostgresEventBus.builder(store, database.dataSource())
                .config(BusConfig.builder()
                        .batchSize(50)
                        .flushInterval(Duration.ofMillis(20))
                        .build())
                .build();
        closeables.add(bus);
        bus.subscribeDurable("follower", "*", event -> {
            delivered.add(event.eventId());
            if (delivered.size() % 25 == 0) {
                Thread.sleep(2); // a subscriber that lags, so that retention keeps meeting its checkpoint
            }
        });

        PostgresEventStore writerStore = PostgresEventStore.builder(pool(WRITER_APP, WRITERS))
                .schema(database.schema())
                .build();
        closeables.add(writerStore);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong longestAppendNanos = new AtomicLong();
        CyclicBarrier start = new CyclicBarrier(WRITERS + 1);
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    for (int n = 0; !stop.get(); n++) {
                        NewEvent event = NewEvent.of("load.new", "{}");
                        long began = System.nanoTime();
                        writerStore.append(
                                StreamId.of("new", writer + "_" + (n % 20)), ExpectedVersion.any(), List.of(event));
                        longestAppendNanos.accumulateAndGet(System.nanoTime() - began, Math::max);
                        appended.add(event.eventId());
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            thread.start();
            writers.add(thread);
        }
        AtomicLong samples = new AtomicLong();
        AtomicLong appendsBlockedByRetention = new AtomicLong();
        Thread monitor = new Thread(() -> {
            try (Connection connection = database.dataSource().getConnection();
                    Statement statement = connection.createStatement()) {
                connection.setAutoCommit(true);
                while (!stop.get()) {
                    try (ResultSet rows = statement.executeQuery("""
                            SELECT count(*) FROM pg_stat_activity w
                            WHERE w.application_name = '%s' AND w.datname = current_database()
                              AND EXISTS (SELECT 1 FROM pg_stat_activity r
                                          WHERE r.pid = ANY (pg_blocking_pids(w.pid))
                                            AND r.application_name = '%s')""".formatted(WRITER_APP, RETENTION_APP))) {
                        rows.next();
                        appendsBlockedByRetention.addAndGet(rows.getLong(1));
                        samples.incrementAndGet();
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        monitor.start();
        EventRetention retention = EventRetention.create(pool(RETENTION_APP, 2), database.schema(), 100);

        start.await();
        long removed = 0;
        long heldBackSeen = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (removed < OLD_EVENTS && System.nanoTime() < deadline) {
            RetentionReport report = retention.run(RetentionPolicy.maxAge(Duration.ofDays(30)));
            removed += report.removed();
            heldBackSeen = Math.max(heldBackSeen, report.heldBack());
        }
        stop.set(true);
        for (Thread thread : writers) {
            thread.join();
        }
        monitor.join();
        long deliveredDeadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (!delivered.containsAll(appended) && System.nanoTime() < deliveredDeadline) {
            Thread.sleep(20);
        }

        assertThat(removed).isEqualTo(OLD_EVENTS);
        assertThat(heldBackSeen)
                .as("retention met the subscriber's checkpoint at least once")
                .isPositive();
        assertThat(delivered).as("every appended event reached the subscriber").containsAll(appended);
        assertThat(appended.size()).isGreaterThan(OLD_EVENTS);
        assertThat(bus.status("follower").orElseThrow().removedEvents()).isZero();
        assertThat(samples.get()).isPositive();
        assertThat(appendsBlockedByRetention.get())
                .as("appends seen waiting on a lock held by retention, in %d samples", samples.get())
                .isZero();
        System.out.printf(
                "retention under load: %d appends, %d lock samples, longest append %.1f ms%n",
                appended.size() - OLD_EVENTS, samples.get(), longestAppendNanos.get() / 1e6);
    }
}
