package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.EventStoreException;
import io.nexus.eventstore.core.SchemaNotMigratedException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;

/**
 * Gives committed appends their global positions soon after they commit. A daemon thread runs {@code
 * sequence_commits()} whenever this process appended (signalled by {@link #request()}), and once per idle interval
 * for appends of processes that stopped before sequencing their own. Readers also sequence on demand ({@link
 * #sequence(Handle)}), so the global order never depends on this thread being alive.
 */
public final class Sequencer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Sequencer.class.getName());
    private static final long IDLE_NANOS = Duration.ofSeconds(1).toNanos();
    private static final long MAX_BACKOFF_MILLIS = 2_000;
    /**
     * The shortest time between two runs. Each run is a transaction with its own WAL flush; one run per append would
     * double the flushes of a single writer. After a quiet spell the first append is sequenced at once (low latency);
     * under load the runs are spaced by this much and each orders every append committed since the last one.
     */
    static final long MIN_INTERVAL_NANOS = Duration.ofMillis(5).toNanos();

    private final DataSource dataSource;
    private final EventStoreSql sql;
    private final Thread thread;
    private final List<LongConsumer> headListeners = new CopyOnWriteArrayList<>();
    private volatile boolean requested;
    private volatile boolean closed;
    private boolean reportedNotMigrated; // only the sequencing thread reads and writes it

    public Sequencer(DataSource dataSource, EventStoreSql sql) {
        this.dataSource = dataSource;
        this.sql = sql;
        this.thread = new Thread(this::run, "nexus-sequencer-" + sql.schema());
        thread.setDaemon(true);
        thread.start();
    }

    /** Asks the background thread to sequence now; returns at once. */
    public void request() {
        // Only the first request since the last run wakes the thread: under 16 writers, unparking it for every append
        // woke it thousands of times a second just to park again until the interval was up. Skipping is safe: the
        // thread clears the flag before it sequences, so a run still to come orders this caller's commit.
        if (!requested) {
            requested = true;
            LockSupport.unpark(thread);
        }
    }

    /**
     * Sequences whatever committed and returns the head of the global order, telling the head listeners. The call
     * runs as its own statement in autocommit, so when it returns the positions are committed and visible.
     */
    public long sequence(Handle handle) {
        return sequence(handle.getConnection());
    }

    /**
     * {@link #sequence(Handle)} on a plain connection. One prepared call, without Jdbi's statement machinery: under 16
     * writers that machinery was most of this thread's CPU, and the thread shares the cores with the writers.
     */
    private long sequence(Connection connection) {
        long head;
        try (PreparedStatement call = connection.prepareStatement(sql.sequence);
                ResultSet result = call.executeQuery()) {
            result.next();
            head = result.getLong(1);
        } catch (SQLException e) {
            throw new EventStoreAccessException("could not sequence the committed appends", e);
        }
        for (LongConsumer listener : headListeners) {
            try {
                listener.accept(head);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "a head listener failed", e);
            }
        }
        return head;
    }

    /** Tells {@code listener} every head this process's sequencing returns, on the thread that sequenced. */
    public void addHeadListener(LongConsumer listener) {
        headListeners.add(listener);
    }

    /** Stops telling {@code listener}; a run already under way may still tell it once. */
    public void removeHeadListener(LongConsumer listener) {
        headListeners.remove(listener);
    }

    private void run() {
        long backoffMillis = 10;
        long lastRun = System.nanoTime() - MIN_INTERVAL_NANOS;
        while (!closed) {
            if (!requested) {
                LockSupport.parkNanos(this, IDLE_NANOS);
            }
            long wait = lastRun + MIN_INTERVAL_NANOS - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
                continue;
            }
            if (closed) {
                return;
            }
            requested = false;
            lastRun = System.nanoTime();
            try {
                try (Connection connection = dataSource.getConnection()) {
                    sequence(connection);
                }
                backoffMillis = 10;
                reportedNotMigrated = false;
            } catch (RuntimeException | SQLException e) {
                if (closed) {
                    return;
                }
                EventStoreException typed =
                        SqlErrors.translate("sequencing failed", e, sql.schema(), DatabaseLocation.of(dataSource));
                if (!(typed instanceof SchemaNotMigratedException)) {
                    LOG.log(
                            System.Logger.Level.WARNING,
                            typed.getMessage() + "; retrying in " + backoffMillis + " ms",
                            e);
                } else if (!reportedNotMigrated) {
                    // Said once: this thread retries every MAX_BACKOFF_MILLIS until someone migrates, and the
                    // store's callers get the same exception on every operation anyway.
                    reportedNotMigrated = true;
                    LOG.log(
                            System.Logger.Level.ERROR,
                            typed.getMessage()
                                    + "; the sequencer keeps retrying quietly and works as soon as the schema is migrated");
                }
                LockSupport.parkNanos(this, backoffMillis * 1_000_000);
                backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF_MILLIS);
                requested = true;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
