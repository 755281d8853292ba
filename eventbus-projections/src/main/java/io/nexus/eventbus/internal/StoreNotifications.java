package io.nexus.eventbus.internal;

import static java.util.Objects.requireNonNull;

import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Tracks the head of a store's global order for this process: one dedicated connection LISTENs on {@code
 * "<schema>_events"} (which {@code sequence_commits()} notifies with the new head), and, because a notification is only
 * a hint (lost with a connection, never sent for appends nobody sequenced), the same thread also runs {@code SELECT
 * <schema>.sequence_commits()} every poll interval, which sequences pending commits and returns the head. When the
 * connection is lost it reconnects with backoff and keeps polling on short-lived connections meanwhile.
 *
 * <p>Thread-safe. Waiters are woken as soon as the known head moves.
 */
public final class StoreNotifications implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(StoreNotifications.class.getName());
    private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    // Bounds how long close() waits for the thread blocked in getNotifications.
    private static final long MAX_SLICE_MILLIS = 200;
    private static final long MIN_BACKOFF_MILLIS = 50;
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    // The shared instances of this process, one per data source and schema.
    private static final Map<SharedKey, StoreNotifications> SHARED = new HashMap<>(); // guarded by SHARED

    private final DataSource dataSource;
    private final String schema;
    private final @Nullable SharedKey sharedKey;
    private volatile Duration pollInterval; // shared instances poll at the shortest interval asked for
    private int users = 1; // guarded by SHARED; only shared instances count
    private final Thread thread;
    private final Object monitor = new Object();
    private volatile long head = -1; // guarded by monitor for writes; -1 until first known
    private volatile boolean closed;
    private volatile long reconnects;

    private record SharedKey(DataSource dataSource, String schema) {}

    private StoreNotifications(
            DataSource dataSource, String schema, Duration pollInterval, @Nullable SharedKey sharedKey) {
        this.dataSource = dataSource;
        this.schema = schema;
        this.pollInterval = pollInterval;
        this.sharedKey = sharedKey;
        this.thread = new Thread(this::run, "nexus-notifications-" + schema);
        thread.setDaemon(true);
    }

    /**
     * Starts listening and polling on a daemon thread; returns at once (a database that is down is retried with
     * backoff, never reported here).
     *
     * @param schema the store's schema, lower-case letters, digits and underscores
     * @param pollInterval how often to poll the head when no notification arrives; positive
     */
    public static StoreNotifications start(DataSource dataSource, String schema, Duration pollInterval) {
        check(dataSource, schema, pollInterval);
        StoreNotifications notifications = new StoreNotifications(dataSource, schema, pollInterval, null);
        notifications.thread.start();
        return notifications;
    }

    /**
     * The process's one instance for {@code dataSource} and {@code schema}, started on first use: every component of
     * a process that follows one store should share one LISTEN connection. It polls at the shortest interval any
     * caller asked for. Each call must be matched by exactly one {@link #close()}; the last one stops it.
     */
    public static StoreNotifications shared(DataSource dataSource, String schema, Duration pollInterval) {
        check(dataSource, schema, pollInterval);
        SharedKey key = new SharedKey(dataSource, schema);
        synchronized (SHARED) {
            StoreNotifications existing = SHARED.get(key);
            if (existing != null) {
                existing.users++;
                if (pollInterval.compareTo(existing.pollInterval) < 0) {
                    existing.pollInterval = pollInterval;
                }
                return existing;
            }
            StoreNotifications created = new StoreNotifications(dataSource, schema, pollInterval, key);
            created.thread.start();
            SHARED.put(key, created);
            return created;
        }
    }

    private static void check(DataSource dataSource, String schema, Duration pollInterval) {
        requireNonNull(dataSource, "dataSource");
        requireNonNull(schema, "schema");
        requireNonNull(pollInterval, "pollInterval");
        if (!SCHEMA.matcher(schema).matches()) {
            throw new IllegalArgumentException("schema must match " + SCHEMA + ", was '" + schema + "'");
        }
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
        }
    }

    /**
     * Blocks until the known head is greater than {@code position} or {@code maxWait} has passed.
     *
     * @return the latest known head (0 for an empty store, -1 while it has never been read)
     */
    public long awaitHeadAbove(long position, Duration maxWait) throws InterruptedException {
        long deadline = System.nanoTime() + maxWait.toNanos();
        synchronized (monitor) {
            while (head <= position && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(monitor, left);
            }
            return head;
        }
    }

    /** The latest known head: 0 for an empty store, -1 while it has never been read. */
    public long knownHead() {
        return head;
    }

    /** How often the dedicated connection was re-established after being lost (for tests and diagnostics). */
    public long reconnects() {
        return reconnects;
    }

    /**
     * Stops the thread and closes its connection; waiters return at once. For a {@link #shared} instance, only the
     * last user's close does so.
     */
    @Override
    public void close() {
        if (sharedKey != null) {
            synchronized (SHARED) {
                if (--users > 0) {
                    return;
                }
                SHARED.remove(sharedKey, this);
            }
        }
        closed = true;
        synchronized (monitor) {
            monitor.notifyAll();
        }
        try {
            thread.join(MAX_SLICE_MILLIS * 10 + pollInterval.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A head learned in this process (the store's own sequencer): wakes the waiters at once instead of after the
     * NOTIFY's way back through the listening connection. Heads not above the known one are ignored.
     */
    public void offer(long newHead) {
        advance(newHead);
    }

    private void advance(long newHead) {
        if (newHead > head) {
            synchronized (monitor) {
                if (newHead > head) {
                    head = newHead;
                    monitor.notifyAll();
                }
            }
        }
    }

    @SuppressWarnings("NonAtomicVolatileUpdate") // only this listener thread writes reconnects
    private void run() {
        long backoff = MIN_BACKOFF_MILLIS;
        boolean everConnected = false;
        while (!closed) {
            try (Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(true);
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN \"" + schema + "_events\"");
                }
                if (everConnected) {
                    reconnects++;
                    LOG.log(Level.INFO, "notification connection for schema " + schema + " re-established");
                }
                everConnected = true;
                backoff = MIN_BACKOFF_MILLIS;
                listen(connection);
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    return;
                }
                LOG.log(Level.WARNING, "notification connection for schema " + schema + " lost; reconnecting in "
                        + backoff + " ms, polling meanwhile", e);
                backoff = pollWhileWaiting(backoff);
            }
        }
    }

    /** Polls on short-lived connections for {@code backoff} ms; returns the next backoff. */
    private long pollWhileWaiting(long backoff) {
        long until = System.nanoTime() + backoff * 1_000_000;
        while (!closed && System.nanoTime() < until) {
            try (Connection connection = dataSource.getConnection()) {
                poll(connection);
            } catch (SQLException | RuntimeException e) {
                // the database is unreachable: nothing to poll either; the reconnect loop logs it
            }
            sleep(Math.min(pollInterval.toMillis(), Math.max(1, (until - System.nanoTime()) / 1_000_000)));
        }
        return Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
    }

    private void listen(Connection connection) throws SQLException {
        PGConnection pg = connection.unwrap(PGConnection.class);
        poll(connection);
        long nextPoll = System.nanoTime() + pollInterval.toNanos();
        while (!closed) {
            long untilPoll = Math.max(1, (nextPoll - System.nanoTime()) / 1_000_000);
            PGNotification @Nullable [] notifications = pg.getNotifications((int) Math.min(untilPoll, MAX_SLICE_MILLIS));
            if (notifications != null) {
                for (PGNotification notification : notifications) {
                    advance(parse(notification.getParameter()));
                }
            }
            if (System.nanoTime() - nextPoll >= 0) {
                poll(connection);
                nextPoll = System.nanoTime() + pollInterval.toNanos();
            }
        }
    }

    private void poll(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT " + schema + ".sequence_commits()")) {
            rows.next();
            advance(rows.getLong(1));
        }
    }

    private static long parse(String payload) {
        try {
            return Long.parseLong(payload.trim());
        } catch (NumberFormatException e) {
            return -1; // not ours; the poll will tell the truth
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
