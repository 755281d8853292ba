package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.migrations.EventStoreSchema;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The PostgreSQL server itself crashes while writers append and every kind of subscriber follows (design property 9).
 * The sequencer commits its runs without waiting for their WAL flush; this test is the proof, not the argument, that
 * a crash still loses no committed event and makes no subscriber skip one.
 *
 * <p>The test owns its server ({@link OwnedPostgresServer}: zonky's PostgreSQL 17 binaries, a data directory of its
 * own, a fixed port, {@code synchronous_commit = on}). A crash is SIGKILL to the postmaster <em>and</em> to every
 * process it started, as a crash of the server's host takes all of them at once (killing only the postmaster would
 * leave backends that finish their work, and shared memory that blocks the restart). A killed process keeps nothing
 * but what it wrote to the operating system, so this proves the ordering of the WAL (what an append's commit flushes
 * with it), not the disk's flush: that is {@code fsync}'s job, on here as in production. Then the server is restarted
 * on the same data directory and port after a random 0.2–2 s, and replays its WAL. Every second cycle kills within
 * 40 ms of pausing the writers, so that the last sequencing run is the newest thing in the WAL (the server runs with
 * {@code wal_writer_delay = 10s}, so nothing but a later synchronous commit flushes it); each cycle prints how many
 * positions the in-process listener had been handed that the crash took back and the sequencer assigned again.
 *
 * <p>What each participant must show after every cycle, once writers stopped and every subscriber reached the head:
 *
 * <ul>
 *   <li><b>Writers</b> count an event as committed only when {@code append} returned; an append that failed is re-sent
 *       with the same event ids and {@code ExpectedVersion.any()} until it returns (an idempotent re-send). Every
 *       committed event is in the store exactly once, every stored event was sent by a writer, the global order is
 *       dense (positions 1..head) and every stream's versions are 1..n.
 *   <li><b>A durable subscription</b> is at-least-once: it saw every stored event id (twice is allowed).
 *   <li><b>A projection</b> ({@link CountingProjection}, read model and checkpoint in one transaction) is
 *       exactly-once in effect: its read model equals a fresh replay of the store, event ids and positions included.
 *   <li><b>An in-process listener</b> keeps no checkpoint, so it is bound from the head at which it subscribed: it must
 *       be handed every position above it, in order, none skipped. Each delivery is the next position, or a step back
 *       ({@code RecentDispatches}): a crash may take back positions of an unflushed sequencer run, and the bus then
 *       hands the events from the first re-assigned position again (at-least-once across a server crash, see ADR
 *       0001). Its final view, the last event it was handed at each position, must equal the store's order. The steps
 *       back are counted and printed.
 * </ul>
 */
@Tag("postgres")
@Timeout(600)
class ServerCrashTest {
    private static final int CYCLES = 5;
    private static final int WRITERS = 4;
    private static final int STREAMS = 12;
    private static final String SCHEMA = "nexus";
    private static final Duration WAIT = Duration.ofMinutes(2);

    private final long started = System.nanoTime();
    private final List<String> timeline = new ArrayList<>();

    @Test
    void a_server_killed_and_restarted_five_times_loses_no_committed_event_and_no_subscriber_skips_one()
            throws Exception {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        try (OwnedPostgresServer server = OwnedPostgresServer.start(Path.of("target", "server-crash-test"))) {
            String url = server.jdbcUrl("postgres");
            PGSimpleDataSource migrations = new PGSimpleDataSource();
            migrations.setUrl(url);
            EventStoreSchema.migrate(migrations, SCHEMA);
            try (HikariDataSource pool = pool(url);
                    PostgresEventStore store = PostgresEventStore.builder(url)
                            .schema(SCHEMA)
                            .connectTimeout(Duration.ofSeconds(2))
                            .build()) {
                Jdbi jdbi = Jdbi.create(pool);
                String name = CountingProjection.uniqueName("crash");
                CountingProjection projection = new CountingProjection(name).createTables(jdbi);
                BusConfig config = BusConfig.builder()
                        .batchSize(100)
                        .flushInterval(Duration.ofMillis(50))
                        .workerCount(1)
                        .build();
                Writers writers = new Writers(store);
                DurableLog durableLog = new DurableLog();
                InProcessLog inProcessLog;
                try (ProjectionDaemon daemon = ProjectionDaemon.builder(store, pool)
                                .owner("crash-daemon")
                                .leaseDuration(Duration.ofSeconds(2))
                                .config(config)
                                .register(projection)
                                .build()
                                .start();
                        PostgresEventBus bus = PostgresEventBus.builder(store, pool)
                                .owner("crash-bus")
                                .leaseDuration(Duration.ofSeconds(2))
                                .config(config)
                                .build();
                        DurableSubscription durable = bus.subscribeDurable("crash-durable", "*", durableLog)) {
                    // Nothing appends yet, so the head now is the position the listener starts after.
                    inProcessLog = new InProcessLog(store.headPosition());
                    bus.subscribe("*", inProcessLog);

                    for (int cycle = 1; cycle <= CYCLES; cycle++) {
                        writers.start(WRITERS);
                        Thread.sleep(random.nextLong(500, 1_500));
                        boolean quiet = cycle % 2 == 0;
                        if (quiet) {
                            // Kill within milliseconds of the last append: its sequencing run is then likely still
                            // in the WAL buffers, with no later synchronous commit to flush it.
                            writers.pause();
                            Thread.sleep(random.nextLong(0, 40));
                        }
                        long handedBeforeKill = inProcessLog.lastPosition();
                        note("cycle " + cycle + ": " + writers.committedCount() + " committed, in-process listener at "
                                + handedBeforeKill + (quiet ? ", writers paused" : "") + "; killing the server");
                        int killed = server.kill();
                        long down = random.nextLong(200, 2_001);
                        note("cycle " + cycle + ": killed " + killed + " processes; restarting in " + down + " ms");
                        Thread.sleep(down);
                        server.restart();
                        String firstXidAfterRestart = nextXidOfLastCheckpoint(url);
                        note("cycle " + cycle + ": server up again");
                        writers.resume();
                        Thread.sleep(random.nextLong(500, 1_500));
                        writers.stop();
                        note("cycle " + cycle + ": writers stopped, " + writers.committedCount() + " committed, "
                                + writers.retries() + " re-sends so far");

                        List<RecordedEvent> stored = retrying(() -> readAll(store));
                        long head = stored.size();
                        await("the durable subscription saw every stored event")
                                .atMost(WAIT)
                                .until(() -> durableLog.sawAll(stored));
                        retrying(() -> {
                            try {
                                return daemon.awaitPosition(name, head, WAIT);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new IllegalStateException(e);
                            }
                        });
                        await("the in-process listener's view equals the global order up to " + head)
                                .atMost(WAIT)
                                .until(() -> inProcessLog.matches(stored));
                        note("cycle " + cycle + ": head " + head + ", durable deliveries " + durableLog.deliveries()
                                + ", in-process steps back " + inProcessLog.stepsBack() + ", durable at "
                                + durable.position() + "; positions up to " + handedBeforeKill
                                + " that the crash took back and the sequencer assigned again: "
                                + positionsSequencedAgain(url, handedBeforeKill, firstXidAfterRestart));

                        assertStoreHoldsEveryCommittedEventOnce(stored, writers);
                        assertThat(durableLog.missing(stored))
                                .as("stored events the durable subscription never saw (cycle %d)", cycle)
                                .isEmpty();
                        retrying(() -> {
                            projection.assertEqualsFreshReplay(jdbi, store);
                            return null;
                        });
                        inProcessLog.assertSawInOrder(stored, cycle);
                    }
                } finally {
                    writers.stop();
                    timeline.forEach(System.out::println);
                }
            } catch (Throwable e) {
                System.out.println("server log:\n" + server.logTail());
                throw e;
            }
        }
    }

    private static void assertStoreHoldsEveryCommittedEventOnce(List<RecordedEvent> stored, Writers writers) {
        for (int i = 0; i < stored.size(); i++) {
            assertThat(stored.get(i).position())
                    .as("position of the global order's event #%d", i + 1)
                    .isEqualTo(i + 1);
        }
        Map<UUID, Long> positions = new HashMap<>();
        Map<String, List<Long>> versions = new HashMap<>();
        for (RecordedEvent event : stored) {
            Long earlier = positions.put(event.eventId(), event.position());
            assertThat(earlier)
                    .as("event %s is stored at %s and again at %d", event.eventId(), earlier, event.position())
                    .isNull();
            versions.computeIfAbsent(event.streamId().value(), stream -> new ArrayList<>())
                    .add(event.streamVersion());
        }
        Set<UUID> lost = new HashSet<>(writers.committed());
        lost.removeAll(positions.keySet());
        assertThat(lost)
                .as("committed (returned) events missing from the store")
                .isEmpty();
        assertThat(writers.sent()).as("every stored event was sent by a writer").containsAll(positions.keySet());
        versions.forEach((stream, list) -> {
            List<Long> sorted = new ArrayList<>(list);
            sorted.sort(null);
            for (int i = 0; i < sorted.size(); i++) {
                assertThat(sorted.get(i))
                        .as("version #%d of stream %s", i + 1, stream)
                        .isEqualTo(i + 1L);
            }
        });
    }

    /**
     * The first transaction id after crash recovery: the next xid of the end-of-recovery checkpoint. Rows written
     * before the crash that survived it carry smaller ids. A diagnostic only, so it answers "?" where it cannot tell.
     */
    private static String nextXidOfLastCheckpoint(String url) {
        try (Connection connection = DriverManager.getConnection(url);
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT next_xid FROM pg_control_checkpoint()")) {
            row.next();
            String xid = row.getString(1);
            return xid.substring(xid.indexOf(':') + 1);
        } catch (SQLException e) {
            return "?";
        }
    }

    /**
     * How many positions up to {@code handed} belong to commits that were sequenced after the restart: positions that
     * the in-process listener had been handed, that the crash took back (an unflushed sequencing run) and that the
     * sequencer then assigned again. A diagnostic of the store's own tables, reported and not asserted.
     */
    private static String positionsSequencedAgain(String url, long handed, String firstXid) {
        if (firstXid.equals("?")) {
            return "?";
        }
        try (Connection connection = DriverManager.getConnection(url);
                PreparedStatement query = connection.prepareStatement("SELECT coalesce(sum(least(last_position, ?)"
                        + " - first_position + 1), 0) FROM " + SCHEMA + ".commits"
                        + " WHERE first_position <= ? AND xmin::text::bigint >= ?")) {
            query.setLong(1, handed);
            query.setLong(2, handed);
            query.setLong(3, Long.parseLong(firstXid));
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return Long.toString(row.getLong(1));
            }
        } catch (SQLException e) {
            return "? (" + e.getMessage() + ")";
        }
    }

    private static List<RecordedEvent> readAll(EventStore store) {
        List<RecordedEvent> all = new ArrayList<>();
        List<RecordedEvent> page;
        do {
            page = store.readAll(all.size() + 1L, 1_000);
            all.addAll(page);
        } while (!page.isEmpty());
        return all;
    }

    private static HikariDataSource pool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(10);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(2_000);
        config.setPoolName("crash-test");
        return new HikariDataSource(config);
    }

    /** Runs {@code action} until it succeeds: right after a restart, pooled connections may still be dead ones. */
    private static <T> T retrying(Supplier<T> action) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                return action.get();
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private void note(String line) {
        timeline.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms  " + line);
    }

    /**
     * Writer threads appending 1–3 events at a time to a few shared streams. An append is committed when it returned;
     * one that threw is re-sent with the same events until it returns, so each event id is stored at most once.
     */
    private static final class Writers {
        private final EventStore store;
        private final Set<UUID> sent = ConcurrentHashMap.newKeySet();
        private final Set<UUID> committed = ConcurrentHashMap.newKeySet();
        private final AtomicLong retries = new AtomicLong();
        private final List<Thread> threads = new ArrayList<>();
        private final AtomicInteger appending = new AtomicInteger();
        private volatile boolean stopped;
        private volatile boolean paused;

        Writers(EventStore store) {
            this.store = store;
        }

        void start(int count) {
            stopped = false;
            for (int i = 0; i < count; i++) {
                Thread thread = new Thread(this::write, "crash-writer-" + i);
                thread.setDaemon(true);
                thread.start();
                threads.add(thread);
            }
        }

        /** Holds every writer before its next append, and waits until the appends in flight returned. */
        void pause() throws InterruptedException {
            paused = true;
            while (appending.get() > 0) {
                Thread.sleep(1);
            }
        }

        void resume() {
            paused = false;
        }

        /** Stops after each writer's append in flight returned; waits for them. */
        void stop() throws InterruptedException {
            stopped = true;
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(120));
                assertThat(thread.isAlive())
                        .as("%s still retrying", thread.getName())
                        .isFalse();
            }
            threads.clear();
        }

        private void write() {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            while (!stopped) {
                appending.incrementAndGet();
                if (paused) {
                    appending.decrementAndGet();
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                    continue;
                }
                try {
                    appendOnce(random);
                } finally {
                    appending.decrementAndGet();
                }
            }
        }

        private void appendOnce(ThreadLocalRandom random) {
            List<NewEvent> events = new ArrayList<>();
            int n = random.nextInt(1, 4);
            for (int i = 0; i < n; i++) {
                NewEvent event = NewEvent.of("test.crash", RawJson.of("{\"n\":" + i + "}"));
                events.add(event);
                sent.add(event.eventId());
            }
            StreamId stream = StreamId.of("crash", random.nextInt(STREAMS));
            while (true) {
                try {
                    store.append(stream, ExpectedVersion.any(), events);
                    break;
                } catch (RuntimeException e) {
                    retries.incrementAndGet();
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
            for (NewEvent event : events) {
                committed.add(event.eventId());
            }
        }

        Set<UUID> sent() {
            return Set.copyOf(sent);
        }

        Set<UUID> committed() {
            return Set.copyOf(committed);
        }

        int committedCount() {
            return committed.size();
        }

        long retries() {
            return retries.get();
        }
    }

    /** The durable subscription's listener: every event id it was handed, with how often. */
    private static final class DurableLog implements EventListener {
        private final Map<UUID, Integer> seen = new ConcurrentHashMap<>();
        private final AtomicLong deliveries = new AtomicLong();

        @Override
        public void handle(RecordedEvent event) {
            seen.merge(event.eventId(), 1, Integer::sum);
            deliveries.incrementAndGet();
        }

        boolean sawAll(List<RecordedEvent> stored) {
            return missing(stored).isEmpty();
        }

        List<RecordedEvent> missing(List<RecordedEvent> stored) {
            List<RecordedEvent> missing = new ArrayList<>();
            for (RecordedEvent event : stored) {
                if (!seen.containsKey(event.eventId())) {
                    missing.add(event);
                }
            }
            return missing;
        }

        long deliveries() {
            return deliveries.get();
        }
    }

    /**
     * The in-process listener: the last event handed at each position above its start, and every delivery that was not
     * the next position (a step back after a crash is allowed, a skip forward is not).
     */
    private static final class InProcessLog implements EventListener {
        private final long start;
        private final NavigableMap<Long, UUID> view = new TreeMap<>();
        private final List<String> skips = new ArrayList<>();
        private long last;
        private int stepsBack;

        InProcessLog(long start) {
            this.start = start;
            this.last = start;
        }

        @Override
        public synchronized void handle(RecordedEvent event) {
            long position = event.position();
            if (position <= last) {
                stepsBack++;
                view.tailMap(position, true).clear();
            } else if (position != last + 1) {
                skips.add("handed position " + position + " after " + last);
            }
            view.put(position, event.eventId());
            last = position;
        }

        synchronized long lastPosition() {
            return last;
        }

        synchronized boolean matches(List<RecordedEvent> stored) {
            return view.equals(expected(stored));
        }

        private Map<Long, UUID> expected(List<RecordedEvent> stored) {
            Map<Long, UUID> expected = new TreeMap<>();
            for (RecordedEvent event : stored) {
                if (event.position() > start) {
                    expected.put(event.position(), event.eventId());
                }
            }
            return expected;
        }

        synchronized int stepsBack() {
            return stepsBack;
        }

        synchronized void assertSawInOrder(List<RecordedEvent> stored, int cycle) {
            assertThat(skips)
                    .as("positions the in-process listener skipped (cycle %d)", cycle)
                    .isEmpty();
            assertThat(view)
                    .as("the in-process listener's last event at each position (cycle %d)", cycle)
                    .isEqualTo(expected(stored));
        }
    }
}
