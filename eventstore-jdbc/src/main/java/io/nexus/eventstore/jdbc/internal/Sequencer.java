package io.nexus.eventstore.jdbc.internal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

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

    private final Jdbi jdbi;
    private final EventStoreSql sql;
    private final Thread thread;
    private final List<LongConsumer> headListeners = new CopyOnWriteArrayList<>();
    private volatile boolean requested;
    private volatile boolean closed;

    public Sequencer(Jdbi jdbi, EventStoreSql sql) {
        this.jdbi = jdbi;
        this.sql = sql;
        this.thread = new Thread(this::run, "nexus-sequencer-" + sql.schema());
        thread.setDaemon(true);
        thread.start();
    }

    /** Asks the background thread to sequence now; returns at once. */
    public void request() {
        requested = true;
        LockSupport.unpark(thread);
    }

    /**
     * Sequences whatever committed and returns the head of the global order, telling the head listeners. The call
     * runs as its own statement in autocommit, so when it returns the positions are committed and visible.
     */
    public long sequence(Handle handle) {
        long head = handle.createQuery(sql.sequence).mapTo(Long.class).one();
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
                jdbi.useHandle(this::sequence);
                backoffMillis = 10;
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "sequencing failed, retrying in " + backoffMillis + " ms", e);
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
