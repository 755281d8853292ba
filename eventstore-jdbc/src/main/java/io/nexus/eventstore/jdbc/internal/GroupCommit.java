package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.jdbc.internal.Appender.Encoded;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Group commit of a store's own appends (ADR 0016): appends that callers make while earlier ones are being written
 * wait for them, then go together in one transaction, one round trip and one WAL flush instead of one each. A lone
 * writer never waits: its append goes at once, as a statement of its own.
 *
 * <p>A group changes no outcome. Each append keeps its own commit id, expected-version check and idempotency check
 * ({@code append_to_streams} calls {@code append_to_stream} once per append). If the group fails for any reason (one
 * append's expected version does not hold, a duplicate, a stream row held by another transaction past {@link
 * #LOCK_TIMEOUT}, a lost connection), nothing of it was written and each caller makes its own append alone, on its
 * own thread, exactly as without grouping; the appends that would have succeeded then succeed. A caller returns only
 * once its append has committed.
 */
public final class GroupCommit {
    /**
     * At most this many writes at once, a group or a lone append: while one waits for its WAL flush the next does its
     * work, and the callers arriving meanwhile queue up into the following group.
     */
    static final int MAX_IN_FLIGHT = 2;
    /** A group takes queued appends until it holds this many events; an append never waits for room in a group. */
    static final int MAX_GROUP_EVENTS = 1_000;
    /**
     * How long a group waits for a stream row another transaction holds before it gives up and its appends go alone:
     * long enough for another group's commit, short enough that one held stream does not hold up the group's others.
     */
    public static final String LOCK_TIMEOUT = "20ms";
    /**
     * The longest a queued append waits for room before it is written anyway, with whatever queued behind it: a lone
     * append waiting for its own stream's row (it has no lock timeout) holds its place in flight, and must not hold up
     * the appends of other streams for longer than a group would.
     */
    static final Duration MAX_WAIT = Duration.ofMillis(20);

    private static final System.Logger LOG = System.getLogger(GroupCommit.class.getName());

    /** Writes one append as a statement of its own; throws the typed exception its caller gets. */
    public interface Alone {
        AppendResult append(Encoded append);
    }

    /** Writes appends in one transaction, one result each in order; throws if anything failed (nothing written). */
    public interface Together {
        List<AppendResult> append(List<Encoded> group) throws SQLException;
    }

    private final Alone alone;
    private final Together together;
    private final long maxWaitNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition written = lock.newCondition();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int inFlight; // guarded by lock
    private final Set<String> writing = new HashSet<>(); // the streams of the writes in flight; guarded by lock
    private volatile boolean reportedMissingFunction;

    public GroupCommit(Alone alone, Together together) {
        this(alone, together, MAX_WAIT);
    }

    /** A group commit whose queued appends wait for room at most {@code maxWait} (tests wait longer). */
    GroupCommit(Alone alone, Together together, Duration maxWait) {
        this.alone = alone;
        this.together = together;
        this.maxWaitNanos = maxWait.toNanos();
    }

    /** {@return how many appends wait in the queue} */
    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Appends {@code append}, alone or in a group, and returns once it has committed. */
    public AppendResult append(Encoded append) {
        Pending mine = new Pending(append);
        boolean interrupted = false;
        lock.lock();
        try {
            queue.addLast(mine);
            long waitUntil = System.nanoTime() + maxWaitNanos;
            while (mine.state == State.QUEUED || mine.state == State.WRITING) {
                long wait = waitUntil - System.nanoTime();
                if (mine.state == State.QUEUED && (inFlight < MAX_IN_FLIGHT || wait <= 0)) {
                    // The caller that finds room writes what is queued, its own append or earlier ones.
                    List<Pending> group = take();
                    if (!group.isEmpty()) {
                        inFlight++;
                        lock.unlock();
                        try {
                            write(group);
                        } finally {
                            lock.lock();
                            inFlight--;
                            for (Pending done : group) {
                                writing.remove(done.append.append().streamId().value());
                            }
                            written.signalAll();
                        }
                        continue;
                    }
                }
                // Appends are not interruptible (a JDBC call is not either): the flag is restored at the end.
                try {
                    written.awaitNanos(mine.state == State.QUEUED && wait > 0 ? wait : maxWaitNanos);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (mine.state == State.ALONE) {
            return alone.append(append);
        }
        RuntimeException failure = mine.failure;
        if (failure != null) {
            throw failure;
        }
        AppendResult result = mine.result;
        if (result == null) {
            throw new IllegalStateException("a written append has no result");
        }
        return result;
    }

    /**
     * The queued appends from the head, up to {@link #MAX_GROUP_EVENTS} events, one per stream and none of a stream
     * that is being written: a later append to such a stream stays queued, in its place, until the earlier one has
     * committed, so one stream's appends are written in the order they were queued. Empty if every queued append
     * waits for its stream.
     */
    private List<Pending> take() {
        List<Pending> group = new ArrayList<>();
        int events = 0;
        for (Iterator<Pending> queued = queue.iterator(); queued.hasNext(); ) {
            Pending next = queued.next();
            if (!group.isEmpty() && events + next.append.events() > MAX_GROUP_EVENTS) {
                break;
            }
            if (writing.add(next.append.append().streamId().value())) {
                queued.remove();
                next.state = State.WRITING;
                group.add(next);
                events += next.append.events();
            }
        }
        return group;
    }

    /** Writes {@code group} outside the lock; then, under it, gives each append its outcome. */
    private void write(List<Pending> group) {
        List<@Nullable AppendResult> results = new ArrayList<>();
        @Nullable RuntimeException failure = null;
        boolean alone = false;
        try {
            if (group.size() == 1) {
                try {
                    results.add(this.alone.append(group.get(0).append));
                } catch (RuntimeException e) {
                    failure = e;
                }
            } else {
                results = writeTogether(group);
            }
        } catch (SQLException | RuntimeException e) {
            alone = true;
            reportIfNotMigrated(e);
            LOG.log(System.Logger.Level.DEBUG, "a group of " + group.size() + " appends failed; each goes alone", e);
        } finally {
            lock.lock();
            try {
                for (int i = 0; i < group.size(); i++) {
                    Pending pending = group.get(i);
                    if (failure != null) {
                        pending.failure = failure;
                        pending.state = State.DONE;
                    } else if (!alone && i < results.size() && results.get(i) != null) {
                        pending.result = results.get(i);
                        pending.state = State.DONE;
                    } else {
                        pending.state = State.ALONE; // also if this thread failed on an Error
                    }
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * One transaction for the group, its appends sorted by stream: two groups in flight then take their stream rows in
     * the same order and do not deadlock each other.
     */
    private List<@Nullable AppendResult> writeTogether(List<Pending> group) throws SQLException {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < group.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparing(
                i -> group.get(i).append.append().streamId().value()));
        List<Encoded> sorted = new ArrayList<>();
        for (int i : order) {
            sorted.add(group.get(i).append);
        }
        List<AppendResult> written = together.append(sorted);
        List<@Nullable AppendResult> results = new ArrayList<>();
        for (int i = 0; i < group.size(); i++) {
            results.add(null);
        }
        for (int k = 0; k < order.size(); k++) {
            results.set(order.get(k), written.get(k));
        }
        return results;
    }

    /** A schema older than V10 has no append_to_streams: every group then fails and its appends go alone. */
    private void reportIfNotMigrated(Exception e) {
        if (!reportedMissingFunction && e instanceof SQLException sql && "42883".equals(sql.getSQLState())) {
            reportedMissingFunction = true;
            LOG.log(
                    System.Logger.Level.WARNING,
                    "the schema has no append_to_streams (migration V10): concurrent appends are written one by one;"
                            + " migrate the schema to group them");
        }
    }

    private enum State {
        QUEUED,
        WRITING,
        DONE,
        ALONE
    }

    /** One caller's append; its fields are written and read under the lock. */
    private static final class Pending {
        final Encoded append;
        State state = State.QUEUED;

        @Nullable
        AppendResult result;

        @Nullable
        RuntimeException failure;

        Pending(Encoded append) {
            this.append = append;
        }
    }
}
