package io.nexus.eventstore.jdbc.internal;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.SchemaName;
import io.nexus.eventstore.jdbc.AutoCommitDataSource;
import io.nexus.eventstore.jdbc.HeadNotifications;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Tracks the head of a store's global order for this process: one connection LISTENs on {@code "<schema>_events"}
 * (which {@code sequence_commits()} notifies with the new head), and, because a notification is only a hint (lost
 * with a connection, never sent for appends nobody sequenced), the same thread also runs {@code SELECT
 * <schema>.sequence_commits()} every poll interval, which sequences pending commits and returns the head. When the
 * connection is lost it reconnects with backoff and keeps polling on short-lived pool connections meanwhile.
 *
 * <p>Where the LISTEN runs is a {@link HeadNotifications}: a dedicated {@link DriverManager} connection, a connection
 * held from the pool, or none (poll only). A LISTEN is probed once when it first starts, because behind PgBouncer in
 * transaction pooling it is accepted and then never delivers: if the probe's NOTIFY does not come back, one WARNING
 * says so and the tracker polls from then on.
 *
 * <p>Thread-safe. Waiters are woken as soon as the known head moves.
 */
public final class StoreNotifications implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(StoreNotifications.class.getName());
    // Bounds how long close() waits for the thread blocked in getNotifications.
    private static final long MAX_SLICE_MILLIS = 200;
    private static final long MIN_BACKOFF_MILLIS = 50;
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    private static final String PROBE_PREFIX = "nexus-probe-";

    // The shared instances of this process, one per data source, schema and notification source.
    private static final Map<SharedKey, StoreNotifications> SHARED = new HashMap<>(); // guarded by SHARED

    private final DataSource dataSource;
    private final String schema;
    private final String channel;
    private final HeadNotifications source;
    private final Duration probeTimeout;
    private final @Nullable SharedKey sharedKey;
    private volatile Duration pollInterval; // shared instances poll at the shortest interval asked for
    private int users = 1; // guarded by SHARED; only shared instances count
    private final Thread thread;
    private final Object monitor = new Object();
    private volatile long head = -1; // guarded by monitor for writes; -1 until first known
    private volatile boolean closed;
    private volatile boolean listening; // true once a probe came back over the LISTEN connection
    private final AtomicLong reconnects = new AtomicLong();
    private boolean setupChecked; // only the tracker's thread reads and writes it

    private record SharedKey(DataSource dataSource, String schema, HeadNotifications source) {}

    private StoreNotifications(
            DataSource dataSource,
            String schema,
            Duration pollInterval,
            HeadNotifications source,
            Duration probeTimeout,
            @Nullable SharedKey sharedKey) {
        this.dataSource = AutoCommitDataSource.from(dataSource); // the polls sequence: their positions must commit
        this.schema = schema;
        this.channel = SchemaName.of(schema).withSuffix("_events");
        this.pollInterval = pollInterval;
        this.source = source;
        this.probeTimeout = probeTimeout;
        this.sharedKey = sharedKey;
        this.thread = new Thread(this::run, "nexus-notifications-" + schema);
        thread.setDaemon(true);
    }

    /**
     * Starts listening on a connection of {@code dataSource} and polling, on a daemon thread; returns at once (a
     * database that is down is retried with backoff, never reported here).
     *
     * @param schema the store's schema, a valid {@link SchemaName}
     * @param pollInterval how often to poll the head when no notification arrives; positive
     */
    public static StoreNotifications start(DataSource dataSource, String schema, Duration pollInterval) {
        return start(dataSource, schema, pollInterval, HeadNotifications.listenOnPool(), probeTimeout());
    }

    /**
     * {@link #start(DataSource, String, Duration)} with the LISTEN where {@code source} says, waiting at most {@code
     * probeTimeout} for the starting probe.
     */
    public static StoreNotifications start(
            DataSource dataSource,
            String schema,
            Duration pollInterval,
            HeadNotifications source,
            Duration probeTimeout) {
        check(dataSource, schema, pollInterval);
        requireNonNull(source, "source");
        requireNonNull(probeTimeout, "probeTimeout");
        StoreNotifications notifications =
                new StoreNotifications(dataSource, schema, pollInterval, source, probeTimeout, null);
        notifications.thread.start();
        return notifications;
    }

    /** {@link #shared(DataSource, String, Duration, HeadNotifications)} listening on a connection of the pool. */
    public static StoreNotifications shared(DataSource dataSource, String schema, Duration pollInterval) {
        return shared(dataSource, schema, pollInterval, HeadNotifications.listenOnPool());
    }

    /**
     * The process's one instance for {@code dataSource}, {@code schema} and {@code source}, started on first use:
     * every component of a process that follows one store should share one LISTEN connection. It polls at the
     * shortest interval any caller asked for. Each call must be matched by exactly one {@link #close()}; the last one
     * stops it.
     */
    public static StoreNotifications shared(
            DataSource dataSource, String schema, Duration pollInterval, HeadNotifications source) {
        check(dataSource, schema, pollInterval);
        requireNonNull(source, "source");
        SharedKey key = new SharedKey(dataSource, schema, source);
        synchronized (SHARED) {
            StoreNotifications existing = SHARED.get(key);
            if (existing != null) {
                existing.users++;
                if (pollInterval.compareTo(existing.pollInterval) < 0) {
                    existing.pollInterval = pollInterval;
                }
                return existing;
            }
            StoreNotifications created =
                    new StoreNotifications(dataSource, schema, pollInterval, source, probeTimeout(), key);
            created.thread.start();
            SHARED.put(key, created);
            return created;
        }
    }

    private static Duration probeTimeout() {
        return Duration.ofSeconds(HeadNotifications.PROBE_TIMEOUT_SECONDS);
    }

    private static void check(DataSource dataSource, String schema, Duration pollInterval) {
        requireNonNull(dataSource, "dataSource");
        SchemaName.of(schema);
        requireNonNull(pollInterval, "pollInterval");
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
        return awaitHeadAbove(position, maxWait, () -> false);
    }

    /** {@link #awaitHeadAbove(long, Duration)} that also returns once {@code stop} says so after a {@link #wake()}. */
    public long awaitHeadAbove(long position, Duration maxWait, BooleanSupplier stop) throws InterruptedException {
        long deadline = System.nanoTime() + maxWait.toNanos();
        synchronized (monitor) {
            while (head <= position && !closed && !stop.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(monitor, left);
            }
            return head;
        }
    }

    /** Wakes every waiter so that it checks its stop condition. */
    public void wake() {
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    /** The latest known head: 0 for an empty store, -1 while it has never been read. */
    public long knownHead() {
        return head;
    }

    /** How often the listening connection (or polling) was re-established after being lost. */
    public long reconnects() {
        return reconnects.get();
    }

    /** Whether a LISTEN is known to deliver: its probe came back, and it has not fallen back to polling. */
    public boolean isListening() {
        return listening;
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
        wake();
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

    private void run() {
        if (!(source instanceof HeadNotifications.PollOnly)) {
            if (listenUntilClosed()) {
                return;
            }
        }
        pollUntilClosed();
    }

    /** Returns true when closed, false when the LISTEN does not deliver and the tracker should poll instead. */
    private boolean listenUntilClosed() {
        long backoff = MIN_BACKOFF_MILLIS;
        boolean everConnected = false;
        while (!closed) {
            try (Connection connection = openListenConnection()) {
                if (!connection.getAutoCommit()) {
                    connection.setAutoCommit(true); // a LISTEN inside a transaction only starts at its commit
                }
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN \"" + channel + "\"");
                }
                if (everConnected) {
                    reconnects.incrementAndGet();
                    LOG.log(Level.INFO, "notification connection for schema " + schema + " re-established");
                }
                everConnected = true;
                backoff = MIN_BACKOFF_MILLIS;
                // Probed until one probe came back: a connection lost before that is probed again.
                boolean delivered = listen(connection, !listening);
                unlisten(connection);
                if (!delivered) {
                    return closed;
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    return true;
                }
                LOG.log(
                        Level.WARNING,
                        "notification connection for schema " + schema + " (" + describe(source)
                                + ") lost; reconnecting in " + backoff + " ms, polling meanwhile",
                        e);
                backoff = pollWhileWaiting(backoff);
            }
        }
        return true;
    }

    /** A pooled connection goes back to its pool: it must not keep a LISTEN that nobody reads. */
    private void unlisten(Connection connection) {
        try (Statement statement = connection.createStatement()) {
            statement.execute("UNLISTEN \"" + channel + "\"");
        } catch (SQLException | RuntimeException e) {
            // the connection is going away anyway; a broken one is evicted by its pool
        }
    }

    private Connection openListenConnection() throws SQLException {
        if (source instanceof HeadNotifications.Listen dedicated) {
            Properties properties = new Properties();
            String user = dedicated.user();
            String password = dedicated.password();
            if (user != null && password != null) {
                properties.setProperty("user", user);
                properties.setProperty("password", password);
            }
            return DriverManager.getConnection(dedicated.jdbcUrl(), properties);
        }
        return dataSource.getConnection();
    }

    /**
     * Waits for notifications and polls on {@code connection} until closed. With {@code probe}, first checks that a
     * NOTIFY sent from another connection arrives here; returns false if it does not, after warning once.
     */
    private boolean listen(Connection connection, boolean probe) throws SQLException {
        PGConnection pg = connection.unwrap(PGConnection.class);
        poll(connection);
        @Nullable String expectedProbe = probe ? sendProbe() : null;
        long probeDeadline = System.nanoTime() + probeTimeout.toNanos();
        long nextPoll = System.nanoTime() + pollInterval.toNanos();
        while (!closed) {
            long untilPoll = Math.max(1, (nextPoll - System.nanoTime()) / 1_000_000);
            long slice = Math.min(untilPoll, MAX_SLICE_MILLIS);
            PGNotification @Nullable [] notifications = pg.getNotifications((int) slice);
            if (notifications != null) {
                for (PGNotification notification : notifications) {
                    String payload = notification.getParameter();
                    if (expectedProbe != null && expectedProbe.equals(payload)) {
                        expectedProbe = null;
                        listening = true;
                    } else {
                        advance(parse(payload));
                    }
                }
            }
            if (expectedProbe != null && System.nanoTime() - probeDeadline >= 0) {
                warnNotDelivered();
                return false;
            }
            if (System.nanoTime() - nextPoll >= 0) {
                poll(connection);
                nextPoll = System.nanoTime() + pollInterval.toNanos();
            }
        }
        return true;
    }

    /** NOTIFYs the channel from a pool connection (not the listening one) with a payload only this tracker knows. */
    private String sendProbe() throws SQLException {
        String payload = PROBE_PREFIX + UUID.randomUUID();
        try (Connection connection = dataSource.getConnection()) {
            if (!connection.getAutoCommit()) {
                connection.setAutoCommit(true); // a NOTIFY is only sent when its transaction commits
            }
            try (PreparedStatement notify = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
                notify.setString(1, channel);
                notify.setString(2, payload);
                notify.execute();
            }
        }
        return payload;
    }

    private void warnNotDelivered() {
        listening = false;
        LOG.log(
                Level.WARNING,
                "Notifications are not delivered: LISTEN \"" + channel + "\" on " + describe(source)
                        + " did not receive a NOTIFY sent through the store's pool within " + probeTimeout.toSeconds()
                        + " s. Is that connection going through PgBouncer in transaction pooling? Falling back to polling the"
                        + " head every " + pollInterval.toMillis()
                        + " ms, so subscribers see new events up to that late."
                        + " To be woken at once, LISTEN on a direct server connection:"
                        + " PostgresEventStore.builder(..).notifications(HeadNotifications.listen(\"jdbc:postgresql://<server,"
                        + " not the bouncer>/<db>\")); to poll without this warning:"
                        + " .notifications(HeadNotifications.pollOnly()).");
    }

    private static String describe(HeadNotifications source) {
        if (source instanceof HeadNotifications.Listen dedicated) {
            String url = dedicated.jdbcUrl();
            return "a dedicated connection to " + url.replaceAll("(?i)(password=)[^&]*", "$1***");
        } else if (source instanceof HeadNotifications.ListenOnPool) {
            return "a connection of the store's DataSource";
        } else if (source instanceof HeadNotifications.PollOnly) {
            return "no connection (polling only)";
        }
        throw new AssertionError(source);
    }

    /** Polls every interval on short-lived pool connections until closed: no LISTEN at all. */
    private void pollUntilClosed() {
        boolean failing = false;
        while (!closed) {
            try (Connection connection = dataSource.getConnection()) {
                if (!connection.getAutoCommit()) {
                    connection.setAutoCommit(true); // sequence_commits() writes: its positions must commit
                }
                poll(connection);
                if (failing) {
                    reconnects.incrementAndGet();
                    LOG.log(Level.INFO, "polling the head of schema " + schema + " works again");
                    failing = false;
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    return;
                }
                if (!failing) {
                    LOG.log(
                            Level.WARNING,
                            "polling the head of schema " + schema + " failed; retrying every "
                                    + pollInterval.toMillis() + " ms",
                            e);
                    failing = true;
                }
            }
            sleepUnlessClosed(pollInterval.toMillis());
        }
    }

    /** Polls on short-lived connections for {@code backoff} ms; returns the next backoff. */
    private long pollWhileWaiting(long backoff) {
        long until = System.nanoTime() + backoff * 1_000_000;
        while (!closed && System.nanoTime() < until) {
            try (Connection connection = dataSource.getConnection()) {
                if (!connection.getAutoCommit()) {
                    connection.setAutoCommit(true);
                }
                poll(connection);
            } catch (SQLException | RuntimeException e) {
                // the database is unreachable: nothing to poll either; the reconnect loop logs it
            }
            sleep(Math.min(pollInterval.toMillis(), Math.max(1, (until - System.nanoTime()) / 1_000_000)));
        }
        return Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
    }

    private void poll(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT " + schema + ".sequence_commits()")) {
            rows.next();
            advance(rows.getLong(1));
        }
        if (!setupChecked) {
            setupChecked = true;
            warnAboutSetup(connection);
        }
    }

    /**
     * Logs once what {@link SetupCheck} finds wrong, on the first poll that worked (the database is up and the schema
     * migrated by then): every long-running process of a store (a bus, a projection daemon) follows the head, so each
     * says it at start, and none pays for it on an append.
     */
    private void warnAboutSetup(Connection connection) {
        try {
            for (String warning : SetupCheck.read(connection, schema).warnings(schema)) {
                LOG.log(Level.WARNING, "event store schema " + schema + ": " + warning);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.log(Level.DEBUG, "could not read the server's settings for schema " + schema, e);
        }
    }

    private static long parse(String payload) {
        try {
            return Long.parseLong(payload.trim());
        } catch (NumberFormatException e) {
            return -1; // not ours (or another tracker's probe); the poll will tell the truth
        }
    }

    /** Sleeps {@code millis} in slices, so that close() is not held up by a long poll interval. */
    private void sleepUnlessClosed(long millis) {
        long until = System.nanoTime() + millis * 1_000_000;
        while (!closed) {
            long left = (until - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return;
            }
            synchronized (monitor) {
                try {
                    monitor.wait(Math.min(left, MAX_SLICE_MILLIS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
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
