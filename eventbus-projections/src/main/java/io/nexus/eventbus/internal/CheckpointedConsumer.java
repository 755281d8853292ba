package io.nexus.eventbus.internal;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.BusConfig;
import io.nexus.eventbus.ProjectionStatus;
import io.nexus.eventbus.SubscriptionName;
import io.nexus.eventbus.SubscriptionStatus;
import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.RecordedEvent;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;

/**
 * The one checkpointed consumer of a row of {@code subscriptions}, under durable subscriptions and projections
 * alike: it takes and renews the row's fenced lease ({@link LeasePolicy}), reads the global order after the
 * checkpoint in batches, hands each batch to its {@link Delivery}, advances the checkpoint with a compare-and-set on
 * the fencing token, and backs off after a failure. A {@link ConsumerScheduler} drives it: lease ticks on its
 * coordinator thread, batches on its workers, one batch of one consumer at a time.
 *
 * <p>Why a lease and not an advisory lock: a lease needs no connection held for the consumer's lifetime (so it works
 * behind PgBouncer in transaction mode), and its fencing token makes every write of a deposed owner fail.
 */
public final class CheckpointedConsumer {
    /** The longest delay between retries of a failing batch. */
    public static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(30);

    private static final System.Logger LOG = System.getLogger("io.nexus.eventbus");
    private static final int MAX_ERROR_LENGTH = 8_000;

    /** Whether a turn should go on with another batch. */
    enum Next {
        MORE,
        DONE
    }

    private final SubscriptionName name;
    private final SubscriptionStatus.Kind kind;
    private final Delivery delivery;
    private final EventStore store;
    private final Jdbi jdbi;
    private final SubscriptionRows rows;
    private final HeadSource heads;
    private final LeasePolicy lease;
    private final BusConfig config;
    final AtomicBoolean busy = new AtomicBoolean();
    // The worker running a turn, so that a listener closing its own subscription does not wait for itself.
    volatile @Nullable Thread turnThread;
    private volatile boolean closed;
    private volatile long token;
    private volatile long checkpoint;
    private volatile long position;
    private volatile boolean verify;
    private volatile boolean paused;
    private volatile int attempts;
    private volatile long retryAt;
    private boolean headTakenBack; // only runBatch reads and writes it, one batch at a time
    /**
     * Local time at which the lease may have expired on the server: measured from before the statement that granted
     * or extended it, so it never outlasts the server's {@code lease_expires_at}.
     */
    private volatile long leaseDeadline;

    /**
     * A consumer of the row {@code name}; call {@link #ensureRow()} before scheduling it.
     *
     * @param jdbi the component's one Jdbi: every statement runs in a transaction of its own or of the batch
     */
    public CheckpointedConsumer(
            SubscriptionName name,
            SubscriptionStatus.Kind kind,
            Delivery delivery,
            EventStore store,
            Jdbi jdbi,
            SubscriptionRows rows,
            HeadSource heads,
            LeasePolicy lease,
            BusConfig config) {
        this.name = requireNonNull(name, "name");
        this.kind = requireNonNull(kind, "kind");
        this.delivery = requireNonNull(delivery, "delivery");
        this.store = requireNonNull(store, "store");
        this.jdbi = requireNonNull(jdbi, "jdbi");
        this.rows = requireNonNull(rows, "rows");
        this.heads = requireNonNull(heads, "heads");
        this.lease = requireNonNull(lease, "lease");
        this.config = requireNonNull(config, "config");
    }

    /**
     * Creates the row if it is new (checkpoint 0: the start of the global order).
     *
     * @throws IllegalArgumentException if the name belongs to the other kind
     */
    public void ensureRow() {
        jdbi.useTransaction(handle -> rows.ensure(handle, name.value(), kind));
    }

    public SubscriptionName name() {
        return name;
    }

    public String owner() {
        return lease.owner();
    }

    /** Whether this process holds the lease and, by its own clock, it cannot have expired on the server yet. */
    public boolean isOwned() {
        return token != 0 && System.nanoTime() - leaseDeadline < 0;
    }

    /** The fencing token held, 0 when none is. */
    public long token() {
        return token;
    }

    /** The stored checkpoint as this process last saw it. */
    public long checkpoint() {
        return checkpoint;
    }

    /** The last position known handled: the checkpoint, or past it while a batch is delivered event by event. */
    public long position() {
        return position;
    }

    public boolean isClosed() {
        return closed;
    }

    /** The head as the consumer knows it. */
    public long knownHead() {
        return heads.knownHead();
    }

    /** Tells the consumer that {@code handled} was delivered; only {@link Delivery#deliver} calls it. */
    public void handled(long handled) {
        position = handled;
    }

    /** Makes the next turn re-read the row even if no new event arrived (after a reset by another path). */
    public void requestVerify() {
        verify = true;
    }

    /**
     * Resets the checkpoint of row {@code name} to 0 with {@code status}, in one transaction with {@code clear} and
     * after any batch in flight (of any owner) committed; the owner sees the row moved and replays from the start.
     */
    public static void reset(
            Jdbi jdbi,
            SubscriptionRows rows,
            SubscriptionName name,
            SubscriptionStatus.Kind kind,
            ProjectionStatus status,
            Consumer<Handle> clear) {
        jdbi.useTransaction(handle -> {
            rows.ensure(handle, name.value(), kind);
            rows.lock(handle, name.value());
            clear.accept(handle);
            rows.reset(handle, name.value(), status.sqlValue());
        });
    }

    /** The row as stored, whoever owns it; empty if it does not exist yet. */
    public Optional<SubscriptionRows.Row> read() {
        return jdbi.inTransaction(handle -> rows.read(handle, name.value()));
    }

    // ---- lease: on the scheduler's coordinator thread

    /** Renews the lease if held, or tries to take it; failures are logged and the fencing token keeps them safe. */
    void tick() {
        tick(true);
    }

    /** {@link #tick()}; takes a lease only when {@code mayAcquire} (renewals of a lease held always run). */
    void tick(boolean mayAcquire) {
        if (closed) {
            return;
        }
        try {
            long held = token;
            long sentAt = System.nanoTime();
            if (held != 0) {
                Optional<SubscriptionRows.Lease> renewed =
                        jdbi.inTransaction(handle -> rows.renew(handle, name.value(), owner(), held, lease.millis()));
                if (renewed.isEmpty()) {
                    Optional<SubscriptionRows.Row> row = read();
                    if (row.isEmpty() || !row.get().heldBy(owner(), held)) {
                        lose(held);
                    }
                } else {
                    leaseDeadline = sentAt + lease.duration().toNanos();
                    paused = isPaused(renewed.get().status());
                    if (renewed.get().position() != checkpoint) {
                        verify = true;
                    }
                }
            } else if (mayAcquire && !busy.get()) {
                Optional<SubscriptionRows.Lease> taken =
                        jdbi.inTransaction(handle -> rows.acquire(handle, name.value(), owner(), lease.millis()));
                if (taken.isPresent()) {
                    checkpoint = taken.get().position();
                    position = checkpoint;
                    paused = isPaused(taken.get().status());
                    attempts = 0;
                    retryAt = 0;
                    leaseDeadline = sentAt + lease.duration().toNanos();
                    token = taken.get().fencingToken();
                    LOG.log(
                            Level.DEBUG,
                            () -> "'" + name + "' acquired by " + owner() + " with fencing token " + token
                                    + " at checkpoint " + checkpoint);
                    delivery.onOwnershipChanged(true, token);
                }
            }
        } catch (RuntimeException e) {
            // A renewal that keeps failing lets the lease expire; the fencing token keeps that safe.
            LOG.log(Level.WARNING, "lease tick for '" + name + "' failed; retrying at the next tick", e);
        }
    }

    // Synchronized so that the coordinator and a worker noticing the loss at once report it once; the listener hears
    // of it before the consumer stops counting as owned, so whoever sees it not owned has been told.
    private synchronized void lose(long held) {
        if (token == held) {
            LOG.log(
                    Level.INFO,
                    "''{0}'': {1} lost its lease (token {2}); another process took over",
                    name,
                    owner(),
                    held);
            delivery.onOwnershipChanged(false, held);
            token = 0;
        }
    }

    /** Accepts no more turns; a batch in flight stops after the event being delivered and commits what it did. */
    void stop() {
        closed = true;
    }

    /** Gives the lease back so that another process can take over at once; call after the last turn ended. */
    void release() {
        closed = true;
        long held = token;
        if (held == 0) {
            return;
        }
        token = 0;
        try {
            jdbi.useTransaction(handle -> rows.release(handle, name.value(), owner(), held));
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "could not release the lease of '" + name + "'; it expires by itself", e);
        }
        delivery.onOwnershipChanged(false, held);
    }

    void closed() {
        delivery.onClosed();
    }

    // ---- batches: on a scheduler worker, one at a time per consumer

    boolean isDue() {
        return !closed
                && isOwned()
                && !paused
                && (checkpoint < heads.knownHead() || verify || delivery.hasPendingWork())
                && System.nanoTime() - retryAt >= 0;
    }

    /** Runs one batch after the checkpoint. */
    Next runBatch() {
        long held = token;
        if (held == 0 || paused || closed || !isOwned()) {
            return Next.DONE;
        }
        long from = checkpoint;
        try {
            if (!delivery.runPendingWork(this)) {
                return Next.DONE;
            }
            long known = heads.knownHead();
            boolean verifying = verify;
            if (known <= from && !verifying) {
                return Next.DONE;
            }
            // A short page moves the checkpoint to the head, so the head must be one the database still has. A
            // sequencing run commits without waiting for its WAL flush: a crash can take back positions this process
            // was told of, and until they are given again a page up to the told head reads nothing there. Read
            // before the page, the store's own head bounds it (one row by its key).
            long head = Math.min(known, store.orderedHeadPosition());
            if (head < known && !headTakenBack) {
                LOG.log(
                        Level.WARNING,
                        "''{0}'': the global order''s head is {1}, below the {2} this process was told of (a database"
                                + " crash took back positions); reading no further than {1} until they are given again",
                        name,
                        head,
                        known);
            }
            headTakenBack = head < known;
            if (head <= from && !verifying) {
                if (headTakenBack) { // the told head stays ahead: look again after an interval, not at once
                    retryAt = System.nanoTime() + config.flushInterval().toNanos();
                }
                return Next.DONE;
            }
            verify = false;
            int batchSize = config.batchSize();
            List<RecordedEvent> events =
                    head > from ? store.readAllUpTo(from + 1, head, batchSize, delivery.filter()) : List.of();
            long started = System.nanoTime();
            long last = events.isEmpty() ? from : events.get(events.size() - 1).position();
            long handled = delivery.deliver(events, this);
            if (handled < 0) {
                return Next.DONE; // the lease is gone: the next tick sees it, and nothing may be written
            }
            boolean complete = events.isEmpty() || handled >= last;
            // A page of fewer positions than the batch holds every matching event up to the head read before it.
            // Positions, not events: the parts of an event an upcaster split share its position and come together.
            int positions = EventStore.positionsIn(events);
            boolean full = positions >= batchSize;
            long to = !complete ? Math.max(handled, from) : full ? last : Math.max(Math.max(head, last), from);
            List<RecordedEvent> applied = complete ? events : List.of();
            long removed = complete ? removedBetween(from, to, positions) : 0;
            Optional<String> status = jdbi.inTransaction(handle -> {
                Optional<String> advanced =
                        rows.advance(handle, name.value(), owner(), held, from, to, complete && !full, lease.millis());
                if (advanced.isEmpty()) {
                    handle.rollback();
                    return advanced;
                }
                if (removed > 0) {
                    rows.recordRemoved(handle, name.value(), owner(), held, removed);
                }
                delivery.applyInTransaction(handle, applied);
                return advanced;
            });
            if (status.isEmpty()) {
                return resync(held);
            }
            if (removed > 0) {
                LOG.log(
                        Level.WARNING,
                        "''{0}'': retention removed {1} event(s) between positions {2} and {3} before it processed"
                                + " them; they were never delivered (see its status: removedEvents)",
                        name,
                        removed,
                        from + 1,
                        to);
                delivery.onRemovedEvents(from + 1, to, removed);
            }
            checkpoint = to;
            position = to;
            leaseDeadline = started + lease.duration().toNanos();
            attempts = 0;
            delivery.onCommitted(to, Math.max(head, to), events, System.nanoTime() - started, status.get());
            return complete && (full || to < heads.knownHead()) ? Next.MORE : Next.DONE;
        } catch (RuntimeException e) {
            fail(held, from, e);
            return Next.DONE;
        }
    }

    /**
     * How many positions after {@code from} up to {@code to} retention removed before this consumer got to them.
     * Positions up to the head have no holes, so an unfiltered batch of {@code positions} counts its own gaps; a filtered batch cannot
     * tell a removed event from one its filter skipped and asks the store (one row read while nothing after {@code
     * from} was ever removed).
     */
    private long removedBetween(long from, long to, int positions) {
        if (to <= from) {
            return 0;
        }
        if (delivery.filter().isAll()) {
            return Math.max(0, (to - from) - positions);
        }
        return store.removedEvents(from + 1, to);
    }

    /** The compare-and-set failed: either the row moved (a reset, or a commit we saw fail) or the lease is lost. */
    private Next resync(long held) {
        Optional<SubscriptionRows.Row> row = read();
        if (row.isPresent() && row.get().heldBy(owner(), held)) {
            checkpoint = row.get().position();
            position = checkpoint;
            paused = isPaused(row.get().status());
            return paused ? Next.DONE : Next.MORE;
        }
        LOG.log(
                Level.WARNING,
                "''{0}'': checkpoint compare-and-set refused with token {1}; another process owns it"
                        + " now, batch rolled back",
                name,
                held);
        lose(held);
        return Next.DONE;
    }

    @SuppressWarnings("NonAtomicVolatileUpdate") // only the thread holding busy runs a batch (ConsumerScheduler.turn)
    private void fail(long held, long from, RuntimeException error) {
        int failed = ++attempts;
        long delay = retryDelayMillis(config, failed);
        retryAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
        LOG.log(
                Level.WARNING,
                "'" + name + "' failed after position " + from + " (attempt " + failed + "); retrying in " + delay
                        + " ms from its checkpoint",
                error);
        try {
            recordError(held, String.valueOf(error));
        } catch (RuntimeException e) {
            error.addSuppressed(e);
        }
        delivery.onFailure(from, error, delay);
    }

    /**
     * The one back-off, of failed batches and of failed deliveries alike: {@link BusConfig#retryDelay()} before the
     * first retry, doubled per further failed {@code attempt} when {@link BusConfig#exponentialBackoff()} is set, at
     * most {@link #MAX_RETRY_DELAY}.
     */
    public static long retryDelayMillis(BusConfig config, int attempt) {
        long delay = config.retryDelay().toMillis();
        if (config.exponentialBackoff()) {
            delay = delay << Math.min(attempt - 1, 20);
        }
        return Math.min(delay, MAX_RETRY_DELAY.toMillis());
    }

    // ---- fenced writes for deliveries

    /** Records {@code error} as the row's last error, if this process still holds the lease. */
    public void recordError(String error) {
        recordError(token, error);
    }

    private void recordError(long held, String error) {
        String text = truncated(error);
        jdbi.useTransaction(handle -> rows.recordError(handle, name.value(), owner(), held, text));
    }

    /**
     * Runs {@code work} in a transaction fenced like a batch: it first locks the row if this process holds the lease
     * and it is not paused (so it waits for a batch in flight, and the next batch waits for it), and runs nothing
     * when it does not. A refusal because the row was paused pauses this consumer at once.
     *
     * @return what {@code work} returned, or empty when the lease is not held (nothing ran)
     */
    public <T> Optional<T> inFencedTransaction(Function<Handle, T> work) {
        long held = token;
        if (held == 0 || closed || !isOwned()) {
            return Optional.empty();
        }
        Optional<T> done = jdbi.inTransaction(handle -> {
            if (!rows.fence(handle, name.value(), owner(), held)) {
                handle.rollback();
                return Optional.empty();
            }
            return Optional.of(work.apply(handle));
        });
        if (done.isEmpty()) {
            // Refused: paused from outside (stop before the next batch, not at the next renewal) or no longer ours.
            read().filter(row -> row.heldBy(owner(), held)).ifPresent(row -> paused = isPaused(row.status()));
        }
        return done;
    }

    /**
     * Gives the lease back while staying registered, so another process can take it; the consumer may take a lease
     * again later. Does nothing while a turn is running (try again at the next tick).
     *
     * @return whether a lease was given back
     */
    boolean yieldLease() {
        long held = token;
        if (held == 0 || !busy.compareAndSet(false, true)) {
            return false;
        }
        try {
            lose(held);
            jdbi.useTransaction(handle -> rows.release(handle, name.value(), owner(), held));
            return true;
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "could not give back the lease of '" + name + "'; it expires by itself", e);
            return true;
        } finally {
            busy.set(false);
        }
    }

    /** Records a dead letter, fenced; false when the lease was lost (nothing was written). */
    public boolean deadLetter(RecordedEvent event, int attempts, String error) {
        long held = token;
        String text = truncated(error);
        return held != 0
                && jdbi.inTransaction(
                        handle -> rows.deadLetter(handle, name.value(), owner(), held, event, attempts, text));
    }

    /** A re-delivery of dead letter {@code id} handled its event: deletes it, fenced; false when the lease was lost. */
    public boolean retried(long id) {
        return inFencedTransaction(handle -> rows.deleteDeadLetter(handle, id)).isPresent();
    }

    /**
     * A re-delivery of dead letter {@code id}, asked for at {@code requestedAt}, failed again after {@code attempts}:
     * records them and the error and clears the request, fenced; false when the lease was lost (nothing written).
     */
    public boolean retryFailed(long id, int attempts, String error, Instant requestedAt) {
        String text = truncated(error);
        return inFencedTransaction(handle -> {
                    rows.retryFailed(handle, id, attempts, text, requestedAt);
                    return true;
                })
                .isPresent();
    }

    /** {@code error} cut to what the {@code error} columns keep. */
    private static String truncated(String error) {
        return error.length() <= MAX_ERROR_LENGTH ? error : error.substring(0, MAX_ERROR_LENGTH);
    }

    /** Sleeps {@code nanos}; false if the consumer was closed or lost its lease meanwhile. */
    public boolean sleepWhileOwned(long nanos) {
        long deadline = System.nanoTime() + nanos;
        while (!closed && token != 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            try {
                long slice = Math.min(left, TimeUnit.MILLISECONDS.toNanos(50));
                Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(slice)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    private static boolean isPaused(String status) {
        return ProjectionStatus.PAUSED.sqlValue().equals(status);
    }
}
