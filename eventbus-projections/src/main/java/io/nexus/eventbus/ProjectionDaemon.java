package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.nexus.eventbus.internal.ProjectionMetrics;
import io.nexus.eventbus.internal.ProjectionRows;
import io.nexus.eventbus.internal.StoreNotifications;
import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;

/**
 * Runs {@link Projection}s against a {@link PostgresEventStore}: each projection reads the global order from its
 * checkpoint in batches of {@link BusConfig#batchSize()} and commits every batch's read-model change together with a
 * compare-and-set of its checkpoint, in one transaction, on {@link BusConfig#workerCount()} threads.
 *
 * <pre>{@code
 * try (ProjectionDaemon daemon = ProjectionDaemon.builder(store, dataSource)
 *         .register(orderTotals)
 *         .build()
 *         .start()) {
 *     AppendResult appended = store.append(orderId, ExpectedVersion.any(), events);
 *     daemon.awaitProjection("order-totals", appended, Duration.ofSeconds(5)); // read your write
 * }
 * }</pre>
 *
 * <p><b>Ownership.</b> Any number of processes may run a daemon on one database; each projection has one owner at a
 * time. Ownership is a lease on the projection's row in {@code subscriptions}: the owner renews it every third of
 * {@link Builder#leaseDuration(Duration) the lease duration}; once it has expired (by the server's clock) another
 * daemon takes the row over and increments its fencing token. Every batch's checkpoint update requires the token it
 * was started with, so an owner that lost its lease (a paused or partitioned "zombie") can never commit: its
 * transaction rolls back and it gives the projection up. A daemon that closes releases its leases at once; one that
 * dies is replaced within about one lease duration. Leases, not session advisory locks, because an advisory lock lives
 * on one server session: behind PgBouncer in transaction pooling the session is not ours, and a lock taken on a
 * pooled connection is neither held reliably nor released when the process dies (see {@code
 * doc/adr/0005-projection-ownership-leases.md}).
 *
 * <p><b>Failures.</b> A batch that throws (in the projection or the database) rolls back and is retried after {@link
 * BusConfig#retryDelay()}, doubled per attempt when {@link BusConfig#exponentialBackoff()} is set (at most {@link
 * #MAX_RETRY_DELAY}). A projection never skips an event: a read model must see every event in order, so a poison
 * event stops its projection (and only it) until fixed; the error is in {@code subscriptions.last_error}.
 *
 * <p><b>Wake-ups.</b> One connection per process LISTENs to the store's notifications, shared with every {@link
 * PostgresEventBus} and daemon on the same {@link DataSource} and schema, so a committed event reaches its projections
 * within milliseconds; the head is also polled every {@link BusConfig#flushInterval()} in case a notification is
 * lost.
 *
 * <p><b>Metrics</b> (with {@link Builder#meterRegistry(MeterRegistry)} and {@link BusConfig#metricsEnabled()}; nothing
 * is recorded without a registry): {@code
 * nexus.projection.events.processed} (counter) and {@code nexus.projection.batch.time} (timer of committed batches),
 * {@code nexus.projection.batch.failures} (failed batches, each of which is retried), {@code
 * nexus.projection.rebuilds} and the gauge {@code nexus.projection.lag} (the head this daemon knows minus the
 * projection's checkpoint; 0 where another daemon owns the projection), all tagged {@code projection}; and the gauge
 * {@code nexus.projection.owned} (projections this daemon owns, tag {@code owner}). The gauges are removed on {@link
 * #close()}.
 *
 * <p>Thread-safe.
 */
public final class ProjectionDaemon implements AutoCloseable {
    /** Default {@link Builder#leaseDuration(Duration)}: 5 seconds. */
    public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(5);
    /** The shortest lease accepted. */
    public static final Duration MIN_LEASE_DURATION = Duration.ofMillis(300);
    /** The longest delay between retries of a failing batch. */
    public static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(30);
    /** The longest projection or owner name accepted. */
    public static final int MAX_NAME_LENGTH = 200;

    private static final System.Logger LOG = System.getLogger(ProjectionDaemon.class.getName());
    private static final int BATCHES_PER_TURN = 16;

    private final PostgresEventStore store;
    private final DataSource dataSource;
    private final Jdbi jdbi;
    private final ProjectionRows rows;
    private final BusConfig config;
    private final String owner;
    private final long leaseMillis;
    private final long leaseNanos;
    private final ProjectionListener listener;
    private final ProjectionMetrics metrics;
    private final Map<String, State> states;
    private final Object progressMonitor = new Object();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean closed;
    private volatile long knownHead;
    private volatile @Nullable StoreNotifications notifications;
    private volatile @Nullable LongConsumer headListener; // the store's sequencer tells notifications of new heads
    private final ExecutorService workers;
    private final Thread coordinator;

    private ProjectionDaemon(Builder builder) {
        this.store = builder.store;
        this.dataSource = builder.dataSource;
        this.jdbi = Jdbi.create(builder.dataSource);
        this.rows = new ProjectionRows(builder.store.schema());
        this.config = builder.config;
        this.owner = builder.owner;
        this.leaseMillis = builder.leaseDuration.toMillis();
        this.leaseNanos = builder.leaseDuration.toNanos();
        this.listener = builder.listener;
        Map<String, State> map = new LinkedHashMap<>();
        builder.projections.forEach(p -> map.put(p.name(), new State(p)));
        this.states = Map.copyOf(map);
        this.metrics = ProjectionMetrics.of(config.metricsEnabled() ? builder.meterRegistry : null);
        metrics.owned(owner, () -> ownedProjections().size());
        states.values().forEach(state -> metrics.lag(state.name, () -> lag(state)));
        AtomicInteger threads = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(config.workerCount(), task -> {
            Thread thread = new Thread(task, "nexus-projection-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.coordinator = new Thread(this::coordinate, "nexus-projection-coordinator");
        coordinator.setDaemon(true);
    }

    /**
     * A builder for a daemon reading {@code store} and writing read models and checkpoints through {@code dataSource}.
     *
     * @param store the store to read the global order from
     * @param dataSource a pool on the same database, for read models and checkpoints
     * @return a builder with every other setting at its default
     */
    public static Builder builder(PostgresEventStore store, DataSource dataSource) {
        return new Builder(requireNonNull(store, "store"), requireNonNull(dataSource, "dataSource"));
    }

    /**
     * Creates the projections' rows if missing and starts competing for their leases and running them.
     *
     * @return this daemon
     * @throws IllegalStateException if already started or closed, or a name belongs to a durable subscription
     */
    public ProjectionDaemon start() {
        if (closed || !started.compareAndSet(false, true)) {
            throw new IllegalStateException("projection daemon " + owner + " was already started or closed");
        }
        jdbi.useHandle(handle -> states.keySet().forEach(name -> rows.ensure(handle, name)));
        notifications = StoreNotifications.shared(dataSource, store.schema(), config.flushInterval());
        LongConsumer listener = notifications::offer;
        headListener = listener;
        store.addHeadListener(listener);
        coordinator.start();
        return this;
    }

    // Only the owner's gauge reports a lag; the others' checkpoints are not followed here.
    private long lag(State state) {
        return state.token != 0 ? Math.max(0, knownHead - state.checkpoint) : 0;
    }

    /** {@return this daemon's owner id, as written to {@code subscriptions.owner}} */
    public String owner() {
        return owner;
    }

    /** {@return the names of the registered projections, sorted} */
    public Set<String> projections() {
        return new TreeSet<>(states.keySet());
    }

    /**
     * The names of the projections this daemon owns right now, sorted: those whose lease it holds and, by its own
     * clock measured from before the last grant or renewal, cannot have expired on the server yet.
     *
     * @return the owned projections' names
     */
    public Set<String> ownedProjections() {
        Set<String> owned = new TreeSet<>();
        states.forEach((name, state) -> {
            if (state.token != 0 && state.leaseValid()) {
                owned.add(name);
            }
        });
        return owned;
    }

    /**
     * Where {@code projection} stands, read from the database (whichever daemon owns it).
     *
     * @param projection the projection's name
     * @return its checkpoint, the head and its status
     * @throws IllegalArgumentException if the projection is not registered with this daemon
     */
    public ProjectionProgress progress(String projection) {
        state(projection);
        long head = store.headPosition();
        Optional<ProjectionRows.Row> row = jdbi.withHandle(handle -> rows.read(handle, projection));
        return new ProjectionProgress(projection,
                row.map(r -> ProjectionStatus.fromSql(r.status())).orElse(ProjectionStatus.ACTIVE),
                row.map(ProjectionRows.Row::position).orElse(0L), head);
    }

    /**
     * Rebuilds {@code projection}: in one transaction, waits for a batch in flight to finish, calls {@link
     * Projection#reset}, sets the checkpoint to 0 and the status to {@code rebuilding}. Its owner (this daemon or
     * another) then replays the global order from the start, events that arrive meanwhile included, reports progress
     * to its {@link ProjectionListener} and sets the status back to {@code active} once it has caught up. Returns at
     * once after the reset; follow it with {@link #progress} or {@link #awaitPosition}.
     *
     * @param projection the projection's name
     * @return the progress right after the reset: checkpoint 0 and the head to replay up to
     * @throws IllegalArgumentException if the projection is not registered with this daemon
     */
    public ProjectionProgress rebuild(String projection) {
        State state = state(projection);
        long head = store.headPosition();
        ProjectionStatus status = head == 0 ? ProjectionStatus.ACTIVE : ProjectionStatus.REBUILDING;
        jdbi.useTransaction(handle -> {
            rows.ensure(handle, projection);
            rows.lock(handle, projection);
            state.projection.reset(handle);
            rows.reset(handle, projection, status.sqlValue());
        });
        state.verify = true;
        metrics.rebuilt(projection);
        LOG.log(System.Logger.Level.INFO, "projection ''{0}'' reset for a rebuild up to position {1}", projection, head);
        return new ProjectionProgress(projection, status, 0, head);
    }

    /**
     * Waits until {@code projection} has processed the append, for read-your-writes: until its checkpoint is at or
     * past the global position of the append's last event ({@link
     * io.nexus.eventstore.core.EventStore#positionOf}).
     *
     * @param projection the projection's name
     * @param append what the append returned
     * @param timeout how long to wait
     * @return the projection's checkpoint when it got there
     * @throws ProjectionTimeoutException if it did not within {@code timeout}
     * @throws InterruptedException if the waiting thread was interrupted
     * @throws IllegalArgumentException if the projection is not registered with this daemon
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database could not be read (a failed read of
     *     the checkpoint is retried until the timeout)
     */
    public long awaitProjection(String projection, AppendResult append, Duration timeout) throws InterruptedException {
        requireNonNull(append, "append");
        state(projection);
        long deadline = deadline(timeout);
        Optional<Long> position = store.positionOf(append.commitId());
        while (position.isEmpty()) {
            if (System.nanoTime() - deadline >= 0) {
                throw new ProjectionTimeoutException(projection, Long.MAX_VALUE, checkpoint(projection), timeout);
            }
            Thread.sleep(5);
            position = store.positionOf(append.commitId());
        }
        return awaitUntil(projection, position.get(), deadline, timeout);
    }

    /**
     * Waits until {@code projection}'s checkpoint is at or past {@code position}; see {@link #awaitProjection}.
     *
     * @param projection the projection's name
     * @param position the global position to wait for
     * @param timeout how long to wait
     * @return the projection's checkpoint when it got there
     * @throws ProjectionTimeoutException if it did not within {@code timeout}
     * @throws InterruptedException if the waiting thread was interrupted
     */
    public long awaitPosition(String projection, long position, Duration timeout) throws InterruptedException {
        state(projection);
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
        return awaitUntil(projection, position, deadline(timeout), timeout);
    }

    /**
     * Stops running projections (a batch in flight finishes) and releases this daemon's leases, so that another daemon
     * can take over at once. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        coordinator.interrupt();
        try {
            if (coordinator.isAlive()) {
                coordinator.join(10_000);
            }
            workers.shutdown();
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "projection batches did not finish within 30 s");
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        StoreNotifications listening = notifications;
        LongConsumer listener = headListener;
        if (listener != null) {
            store.removeHeadListener(listener);
        }
        if (listening != null) {
            listening.close();
        }
        metrics.close();
        for (State state : states.values()) {
            long token = state.token;
            if (token != 0) {
                state.token = 0;
                try {
                    jdbi.useHandle(handle -> rows.release(handle, state.name, owner, token));
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "could not release the lease of '" + state.name
                            + "'; it expires by itself", e);
                }
                notifyOwnership(state.name, false, token);
            }
        }
    }

    // ---- coordination: one thread renews and acquires leases and hands work to the workers

    private void coordinate() {
        long renewNanos = TimeUnit.MILLISECONDS.toNanos(leaseMillis / 3);
        long nextLeaseTick = System.nanoTime();
        long seenHead = -1;
        while (!closed) {
            try {
                if (System.nanoTime() - nextLeaseTick >= 0) {
                    leaseTick();
                    nextLeaseTick = System.nanoTime() + renewNanos;
                }
                long untilTick = Math.max(1, nextLeaseTick - System.nanoTime());
                long wait = Math.min(untilTick, config.flushInterval().toNanos());
                seenHead = seenHead < 0 ? store.headPosition() : awaitHeadAbove(seenHead, Duration.ofNanos(wait));
                knownHead = seenHead;
                states.values().forEach(this::scheduleIfDue);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "projection coordinator failed; retrying", e);
                try {
                    Thread.sleep(Math.min(leaseMillis / 3, 500));
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /**
     * Returns the head once it is above {@code position}, or the latest known head after {@code maxWait}: woken by
     * the store's LISTEN/NOTIFY channel, with polling every flush interval as the fallback.
     */
    private long awaitHeadAbove(long position, Duration maxWait) throws InterruptedException {
        StoreNotifications listening = notifications;
        long head = listening == null ? -1 : listening.awaitHeadAbove(position, maxWait);
        return head >= 0 ? head : store.headPosition();
    }

    private void leaseTick() {
        for (State state : states.values()) {
            if (closed) {
                return;
            }
            try {
                long token = state.token;
                long sentAt = System.nanoTime();
                if (token != 0) {
                    Optional<ProjectionRows.Lease> lease =
                            jdbi.withHandle(handle -> rows.renew(handle, state.name, owner, token, leaseMillis));
                    if (lease.isEmpty()) {
                        Optional<ProjectionRows.Row> row = jdbi.withHandle(handle -> rows.read(handle, state.name));
                        boolean stillOurs = row.isPresent()
                                && owner.equals(row.get().owner())
                                && row.get().fencingToken() == token;
                        if (!stillOurs) {
                            lose(state, token);
                        }
                    } else {
                        state.leaseDeadline = sentAt + leaseNanos;
                        state.paused = ProjectionStatus.PAUSED.sqlValue().equals(lease.get().status());
                        if (lease.get().position() != state.checkpoint) {
                            state.verify = true;
                        }
                    }
                } else if (!state.busy.get()) {
                    Optional<ProjectionRows.Lease> lease =
                            jdbi.withHandle(handle -> rows.acquire(handle, state.name, owner, leaseMillis));
                    if (lease.isPresent()) {
                        state.checkpoint = lease.get().position();
                        state.paused = ProjectionStatus.PAUSED.sqlValue().equals(lease.get().status());
                        state.attempts = 0;
                        state.retryAt = 0;
                        state.leaseDeadline = sentAt + leaseNanos;
                        state.token = lease.get().fencingToken();
                        notifyOwnership(state.name, true, state.token);
                    }
                }
            } catch (RuntimeException e) {
                // A renewal that keeps failing lets the lease expire; the fencing token keeps that safe.
                LOG.log(System.Logger.Level.WARNING, "lease tick for '" + state.name + "' failed", e);
            }
        }
    }

    private void lose(State state, long token) {
        if (state.token == token) {
            state.token = 0;
            LOG.log(System.Logger.Level.INFO, "daemon {0} lost projection ''{1}'' (token {2})", owner, state.name, token);
            notifyOwnership(state.name, false, token);
        }
    }

    private boolean isDue(State state) {
        return state.token != 0
                && state.leaseValid()
                && !state.paused
                && (state.checkpoint < knownHead || state.verify)
                && System.nanoTime() - state.retryAt >= 0;
    }

    private void scheduleIfDue(State state) {
        if (!closed && isDue(state) && state.busy.compareAndSet(false, true)) {
            try {
                workers.execute(() -> runTurn(state));
            } catch (RejectedExecutionException e) {
                state.busy.set(false);
            }
        }
    }

    // ---- work: a turn runs batches of one projection until it has caught up (or yields to others)

    private enum Outcome { MORE, DONE }

    private void runTurn(State state) {
        try {
            for (int i = 0; i < BATCHES_PER_TURN && !closed; i++) {
                if (runBatch(state) == Outcome.DONE) {
                    break;
                }
            }
        } finally {
            state.busy.set(false);
        }
        scheduleIfDue(state);
    }

    private Outcome runBatch(State state) {
        long token = state.token;
        if (token == 0 || state.paused || !state.leaseValid()) {
            return Outcome.DONE;
        }
        long from = state.checkpoint;
        try {
            long head = store.headPosition();
            knownHead = Math.max(knownHead, head);
            boolean verify = state.verify;
            if (head <= from && !verify) {
                return Outcome.DONE;
            }
            state.verify = false;
            List<RecordedEvent> events = head > from
                    ? store.readAllUpTo(from + 1, head, config.batchSize(), state.projection.filter())
                    : List.of();
            boolean full = events.size() == config.batchSize();
            long last = events.isEmpty() ? from : events.get(events.size() - 1).position();
            // A page shorter than the batch holds every matching event up to the head read before it.
            long to = full ? last : Math.max(Math.max(head, last), from);
            long sentAt = System.nanoTime();
            Optional<String> status = jdbi.inTransaction(handle -> {
                Optional<String> advanced = rows.advance(handle, state.name, token, from, to, !full, leaseMillis);
                if (advanced.isEmpty()) {
                    handle.rollback();
                    return advanced;
                }
                state.projection.applyBatch(handle, events);
                return advanced;
            });
            if (status.isEmpty()) {
                return resync(state, token);
            }
            state.checkpoint = to;
            state.leaseDeadline = sentAt + leaseNanos;
            metrics.batchCommitted(state.name, events.size(), System.nanoTime() - sentAt);
            state.attempts = 0;
            synchronized (progressMonitor) {
                progressMonitor.notifyAll();
            }
            ProjectionProgress progress =
                    new ProjectionProgress(state.name, ProjectionStatus.fromSql(status.get()), to, Math.max(head, to));
            notifyProgress(progress);
            return full || to < knownHead ? Outcome.MORE : Outcome.DONE;
        } catch (RuntimeException e) {
            fail(state, token, from, e);
            return Outcome.DONE;
        }
    }

    /** The checkpoint compare-and-set failed: either the row moved (a reset, or a commit we saw fail) or we lost it. */
    private Outcome resync(State state, long token) {
        Optional<ProjectionRows.Row> row = jdbi.withHandle(handle -> rows.read(handle, state.name));
        if (row.isPresent() && owner.equals(row.get().owner()) && row.get().fencingToken() == token) {
            state.checkpoint = row.get().position();
            state.paused = ProjectionStatus.PAUSED.sqlValue().equals(row.get().status());
            return state.paused ? Outcome.DONE : Outcome.MORE;
        }
        LOG.log(System.Logger.Level.WARNING, "projection ''{0}'': checkpoint compare-and-set refused with token {1};"
                + " another daemon owns it now, batch rolled back", state.name, token);
        lose(state, token);
        return Outcome.DONE;
    }

    @SuppressWarnings("NonAtomicVolatileUpdate") // only the thread holding state.busy writes State (see runTurn)
    private void fail(State state, long token, long checkpoint, RuntimeException error) {
        int attempts = ++state.attempts;
        metrics.batchFailed(state.name);
        long delay = config.retryDelay().toMillis();
        if (config.exponentialBackoff()) {
            delay = delay << Math.min(attempts - 1, 20);
        }
        delay = Math.min(delay, MAX_RETRY_DELAY.toMillis());
        state.retryAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
        LOG.log(System.Logger.Level.WARNING, "projection '" + state.name + "' failed after position " + checkpoint
                + " (attempt " + attempts + "); retrying in " + delay + " ms", error);
        try {
            jdbi.useHandle(handle -> rows.recordError(handle, state.name, token, String.valueOf(error)));
        } catch (RuntimeException e) {
            error.addSuppressed(e);
        }
        try {
            listener.onFailure(state.name, checkpoint, error);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "projection listener failed", e);
        }
    }

    // ---- read-your-writes

    private long awaitUntil(String projection, long position, long deadline, Duration timeout)
            throws InterruptedException {
        long checkpoint = 0;
        while (true) {
            try {
                checkpoint = checkpoint(projection);
            } catch (RuntimeException e) {
                // A dropped connection is retried until the deadline, like the daemon retries its batches.
                if (System.nanoTime() - deadline >= 0) {
                    throw e;
                }
            }
            if (checkpoint >= position) {
                return checkpoint;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new ProjectionTimeoutException(projection, position, checkpoint, timeout);
            }
            synchronized (progressMonitor) {
                // Woken by our own commits; other daemons' commits are seen by polling.
                progressMonitor.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 20)));
            }
        }
    }

    private long checkpoint(String projection) {
        return jdbi.withHandle(handle -> rows.read(handle, projection))
                .map(ProjectionRows.Row::position)
                .orElse(0L);
    }

    private static long deadline(Duration timeout) {
        requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative, was " + timeout);
        }
        return System.nanoTime() + timeout.toNanos();
    }

    private State state(String projection) {
        requireNonNull(projection, "projection");
        State state = states.get(projection);
        if (state == null) {
            throw new IllegalArgumentException("projection '" + projection + "' is not registered with this daemon;"
                    + " registered: " + projections());
        }
        return state;
    }

    private void notifyOwnership(String name, boolean owned, long token) {
        try {
            listener.onOwnershipChanged(name, owned, token);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "projection listener failed", e);
        }
    }

    private void notifyProgress(ProjectionProgress progress) {
        try {
            listener.onProgress(progress);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "projection listener failed", e);
        }
    }

    static String checkName(String name) {
        requireNonNull(name, "name");
        if (name.isBlank() || name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("name must be 1 to " + MAX_NAME_LENGTH + " characters and not blank,"
                    + " was '" + name + "'");
        }
        return name;
    }

    /** What the daemon knows about one projection. Fields are written by one thread at a time (see runTurn). */
    private static final class State {
        final Projection projection;
        final String name;
        final AtomicBoolean busy = new AtomicBoolean();
        volatile long token;
        volatile long checkpoint;
        volatile boolean verify;
        volatile boolean paused;
        volatile int attempts;
        volatile long retryAt;
        /**
         * Local time at which the lease may have expired on the server: measured from before the statement that
         * granted or extended it, so it never outlasts the server's {@code lease_expires_at}.
         */
        volatile long leaseDeadline;

        State(Projection projection) {
            this.projection = projection;
            this.name = projection.name();
        }

        boolean leaseValid() {
            return System.nanoTime() - leaseDeadline < 0;
        }
    }

    /** Configures a {@link ProjectionDaemon}; validates each setting as it is given. Not thread-safe. */
    public static final class Builder {
        private final PostgresEventStore store;
        private final DataSource dataSource;
        private final List<Projection> projections = new ArrayList<>();
        private BusConfig config = BusConfig.defaults();
        private String owner = defaultOwner();
        private Duration leaseDuration = DEFAULT_LEASE_DURATION;
        private ProjectionListener listener = ProjectionListener.NONE;
        private @Nullable MeterRegistry meterRegistry;

        private Builder(PostgresEventStore store, DataSource dataSource) {
            this.store = store;
            this.dataSource = dataSource;
        }

        /**
         * Adds a projection. Its name must be unique within the daemon.
         *
         * @param projection the projection
         * @return this builder
         * @throws IllegalArgumentException if the name is malformed or already registered
         */
        public Builder register(Projection projection) {
            requireNonNull(projection, "projection");
            String name = checkName(projection.name());
            requireNonNull(projection.filter(), "filter of projection '" + name + "'");
            if (projections.stream().anyMatch(p -> p.name().equals(name))) {
                throw new IllegalArgumentException("projection '" + name + "' is already registered");
            }
            projections.add(projection);
            return this;
        }

        /**
         * The settings read: {@code workerCount}, {@code batchSize}, {@code flushInterval}, {@code retryDelay},
         * {@code exponentialBackoff} and {@code metricsEnabled}. Default: {@link BusConfig#defaults()}.
         *
         * @param config the settings
         * @return this builder
         */
        public Builder config(BusConfig config) {
            this.config = requireNonNull(config, "config");
            return this;
        }

        /**
         * This daemon's id in {@code subscriptions.owner}; must be unique among running daemons. Default: host name,
         * process id and a random suffix.
         *
         * @param owner the owner id
         * @return this builder
         */
        public Builder owner(String owner) {
            this.owner = checkName(owner);
            return this;
        }

        /**
         * How long a lease lasts without renewal: a dead owner is replaced after about this long. At least {@link
         * #MIN_LEASE_DURATION}. Default: {@link #DEFAULT_LEASE_DURATION}, 5 s.
         *
         * @param leaseDuration the lease's length
         * @return this builder
         * @throws IllegalArgumentException if it is shorter than {@link #MIN_LEASE_DURATION}
         */
        public Builder leaseDuration(Duration leaseDuration) {
            requireNonNull(leaseDuration, "leaseDuration");
            if (leaseDuration.compareTo(MIN_LEASE_DURATION) < 0) {
                throw new IllegalArgumentException(
                        "leaseDuration must be at least " + MIN_LEASE_DURATION + ", was " + leaseDuration);
            }
            this.leaseDuration = leaseDuration;
            return this;
        }

        /**
         * Observes progress, ownership and failures. Default: {@link ProjectionListener#NONE}.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder listener(ProjectionListener listener) {
            this.listener = requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Where to record metrics (see the class comment). Default: none, nothing is recorded.
         *
         * @param meterRegistry the registry
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = requireNonNull(meterRegistry, "meterRegistry");
            return this;
        }

        /**
         * Builds the daemon; call {@link ProjectionDaemon#start()} to run it.
         *
         * @return the daemon, not yet started
         * @throws IllegalStateException if no projection was registered
         */
        public ProjectionDaemon build() {
            if (projections.isEmpty()) {
                throw new IllegalStateException("register at least one projection");
            }
            return new ProjectionDaemon(this);
        }

        private static String defaultOwner() {
            String runtime = ManagementFactory.getRuntimeMXBean().getName();
            return runtime + "/" + UUID.randomUUID().toString().substring(0, 8);
        }
    }
}
