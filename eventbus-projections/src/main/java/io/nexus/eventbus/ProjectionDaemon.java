package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.nexus.eventbus.internal.CheckpointedConsumer;
import io.nexus.eventbus.internal.ConsumerScheduler;
import io.nexus.eventbus.internal.Delivery;
import io.nexus.eventbus.internal.HeadSource;
import io.nexus.eventbus.internal.LeasePolicy;
import io.nexus.eventbus.internal.ProjectionMetrics;
import io.nexus.eventbus.internal.StoreHeadSource;
import io.nexus.eventbus.internal.SubscriptionRows;
import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.AutoCommitDataSource;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntSupplier;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
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
 * <p>The daemon schedules projections on the engine that also runs {@link PostgresEventBus#subscribeDurable durable
 * subscriptions}: the same lease, checkpoint compare-and-set, head wait, batch loop and back-off; a projection's batch
 * is applied in the checkpoint's own transaction.
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
 * <p><b>Wake-ups.</b> The store's {@link PostgresEventStore#watchHead head watch}, shared with every {@link
 * PostgresEventBus} and daemon on the same store, so a committed event reaches its projections within milliseconds;
 * the head is also polled every {@link BusConfig#flushInterval()} in case a notification is lost.
 *
 * <p><b>Metrics</b> (with {@link Builder#meterRegistry(MeterRegistry)} and {@link BusConfig#metricsEnabled()}; nothing
 * is recorded without a registry): {@code
 * nexus.projection.events.processed} (counter) and {@code nexus.projection.batch.time} (timer of committed batches),
 * {@code nexus.projection.batch.failures} (failed batches, each of which is retried), {@code
 * nexus.projection.rebuilds} and the gauge {@code nexus.projection.lag} (the head this daemon knows minus the
 * projection's checkpoint; 0 where another daemon owns the projection), all tagged {@code projection}; and the gauge
 * {@code nexus.projection.owned} (projections this daemon owns, tag {@code owner}). The events counter also carries
 * the event type (tag {@code type}; one counter per type). The gauges are removed on {@link #close()}.
 *
 * <p>Thread-safe.
 */
public final class ProjectionDaemon implements AutoCloseable {
    /** Default {@link Builder#leaseDuration(Duration)}: 10 seconds, as for durable subscriptions. */
    public static final Duration DEFAULT_LEASE_DURATION = LeasePolicy.DEFAULT_DURATION;
    /** The shortest lease accepted. */
    public static final Duration MIN_LEASE_DURATION = LeasePolicy.MIN_DURATION;
    /** The longest delay between retries of a failing batch. */
    public static final Duration MAX_RETRY_DELAY = CheckpointedConsumer.MAX_RETRY_DELAY;
    /** The longest projection or owner name accepted. */
    public static final int MAX_NAME_LENGTH = SubscriptionName.MAX_LENGTH;

    private static final System.Logger LOG = System.getLogger(ProjectionDaemon.class.getName());

    private final PostgresEventStore store;
    private final Jdbi jdbi;
    private final SubscriptionRows rows;
    private final BusConfig config;
    private final LeasePolicy lease;
    private final ProjectionListener listener;
    private final ProjectionMetrics metrics;
    private final Map<String, Runner> runners;
    private final IntSupplier ownershipLimit;
    private final Object progressMonitor = new Object();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean closed;
    private volatile @Nullable HeadSource heads;
    private volatile @Nullable ConsumerScheduler scheduler;

    private ProjectionDaemon(Builder builder) {
        this.store = builder.store;
        this.jdbi = Jdbi.create(builder.dataSource);
        this.rows = new SubscriptionRows(builder.store.schema());
        this.config = builder.config;
        this.lease = new LeasePolicy(builder.owner, builder.leaseDuration);
        this.listener = builder.listener;
        this.ownershipLimit = builder.ownershipLimit;
        Map<String, Runner> map = new LinkedHashMap<>();
        builder.projections.forEach(p -> map.put(p.name(), new Runner(p)));
        this.runners = Map.copyOf(map);
        this.metrics = ProjectionMetrics.of(config.metricsEnabled() ? builder.meterRegistry : null);
        metrics.owned(lease.owner(), () -> ownedProjections().size());
        runners.values().forEach(runner -> metrics.lag(runner.name, runner::lag));
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
     * @throws IllegalStateException if already started or closed
     * @throws IllegalArgumentException if a name belongs to a durable subscription (as {@link
     *     PostgresEventBus#subscribeDurable} throws for a projection's name)
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database cannot be reached
     * @throws io.nexus.eventstore.core.SchemaNotMigratedException if the store's schema holds no event store
     */
    public ProjectionDaemon start() {
        if (closed || !started.compareAndSet(false, true)) {
            throw new IllegalStateException("projection daemon " + owner() + " was already started or closed");
        }
        HeadSource source;
        try {
            // a database down or a schema not migrated fails here, with the store's typed error
            source = StoreHeadSource.open(store, config.flushInterval());
        } catch (RuntimeException e) {
            started.set(false); // nothing started: the caller may fix the database and start again
            throw e;
        }
        heads = source;
        try {
            runners.values()
                    .forEach(runner -> runner.consumer = new CheckpointedConsumer(
                            SubscriptionName.of(runner.name),
                            SubscriptionStatus.Kind.PROJECTION,
                            runner,
                            store,
                            jdbi,
                            rows,
                            source,
                            lease,
                            config));
            runners.values().forEach(runner -> runner.consumer().ensureRow());
        } catch (RuntimeException e) {
            source.close();
            heads = null;
            throw e;
        }
        AtomicInteger threads = new AtomicInteger();
        ConsumerScheduler created = new ConsumerScheduler(
                "nexus-projection-coordinator",
                source,
                lease,
                config.flushInterval(),
                Executors.newFixedThreadPool(config.workerCount(), task -> {
                    Thread thread = new Thread(task, "nexus-projection-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }),
                ownershipLimit);
        scheduler = created;
        runners.values().forEach(runner -> created.add(runner.consumer()));
        return this;
    }

    /** {@return this daemon's owner id, as written to {@code subscriptions.owner}} */
    public String owner() {
        return lease.owner();
    }

    /** {@return the names of the registered projections, sorted} */
    public Set<String> projections() {
        return new TreeSet<>(runners.keySet());
    }

    /**
     * The names of the projections this daemon owns right now, sorted: those whose lease it holds and, by its own
     * clock measured from before the last grant or renewal, cannot have expired on the server yet.
     *
     * @return the owned projections' names
     */
    public Set<String> ownedProjections() {
        Set<String> owned = new TreeSet<>();
        runners.forEach((name, runner) -> {
            if (runner.consumer != null && runner.consumer.isOwned()) {
                owned.add(name);
            }
        });
        return owned;
    }

    /**
     * Runs {@code work} in a transaction fenced by {@code projection}'s lease, for work a projection does besides its
     * batches (a timer that fires, say): the transaction first locks the projection's row, only if this daemon holds
     * its lease, so it waits for a batch in flight and the next batch waits for it, and it runs nothing when this
     * daemon does not own the projection. Everything {@code work} writes through the handle commits together, once.
     *
     * @param <T> what {@code work} returns
     * @param projection the projection's name
     * @param work the work, given the transaction's handle; never commit, roll back or close it
     * @return what {@code work} returned, or empty when this daemon does not own the projection (nothing ran)
     * @throws IllegalArgumentException if the projection is not registered with this daemon
     * @throws IllegalStateException if the daemon was not started
     */
    public <T> Optional<T> inOwnedTransaction(String projection, Function<Handle, T> work) {
        requireNonNull(work, "work");
        CheckpointedConsumer consumer = runner(projection).consumer;
        if (consumer == null) {
            throw new IllegalStateException("projection daemon " + owner() + " was not started");
        }
        return consumer.inFencedTransaction(work);
    }

    /**
     * Where {@code projection} stands, read from the database (whichever daemon owns it).
     *
     * @param projection the projection's name
     * @return its checkpoint, the head and its status
     * @throws IllegalArgumentException if the projection is not registered with this daemon
     */
    public ProjectionProgress progress(String projection) {
        runner(projection);
        long head = store.headPosition();
        Optional<SubscriptionRows.Row> row = read(projection);
        return new ProjectionProgress(
                projection,
                row.map(r -> ProjectionStatus.fromSql(r.status())).orElse(ProjectionStatus.ACTIVE),
                row.map(SubscriptionRows.Row::position).orElse(0L),
                head);
    }

    /**
     * The status of {@code projection} as its row says (checkpoint, head, lag, owner, lease, last error), read from
     * the database whichever daemon owns it; empty before any daemon started it.
     *
     * @param projection the projection's name
     * @return its status, or empty before any daemon started it
     * @throws IllegalArgumentException if the projection is not registered with this daemon
     */
    public Optional<SubscriptionStatus> status(String projection) {
        runner(projection);
        long head = store.headPosition();
        return read(projection).map(row -> row.toStatus(head));
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
        Runner runner = runner(projection);
        long head = store.headPosition();
        ProjectionStatus status = head == 0 ? ProjectionStatus.ACTIVE : ProjectionStatus.REBUILDING;
        CheckpointedConsumer.reset(
                jdbi,
                rows,
                SubscriptionName.of(projection),
                SubscriptionStatus.Kind.PROJECTION,
                status,
                runner.projection::reset);
        CheckpointedConsumer running = runner.consumer;
        if (running != null) {
            running.requestVerify();
        }
        metrics.rebuilt(projection);
        LOG.log(
                System.Logger.Level.INFO,
                "projection ''{0}'' reset for a rebuild up to position {1}",
                projection,
                head);
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
        runner(projection);
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
        runner(projection);
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
        ConsumerScheduler running = scheduler;
        if (running != null) {
            running.close();
        }
        HeadSource source = heads;
        if (source != null) {
            source.close();
        }
        metrics.close();
    }

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

    private Optional<SubscriptionRows.Row> read(String projection) {
        return jdbi.inTransaction(handle -> rows.read(handle, projection));
    }

    private long checkpoint(String projection) {
        return read(projection).map(SubscriptionRows.Row::position).orElse(0L);
    }

    private static long deadline(Duration timeout) {
        requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative, was " + timeout);
        }
        return System.nanoTime() + timeout.toNanos();
    }

    private Runner runner(String projection) {
        requireNonNull(projection, "projection");
        Runner runner = runners.get(projection);
        if (runner == null) {
            throw new IllegalArgumentException("projection '" + projection + "' is not registered with this daemon;"
                    + " registered: " + projections());
        }
        return runner;
    }

    private void notify(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "projection listener failed", e);
        }
    }

    /** One projection as a {@link Delivery} of the engine: its batch is applied in the checkpoint's transaction. */
    private final class Runner implements Delivery {
        final Projection projection;
        final String name;
        volatile @Nullable CheckpointedConsumer consumer;

        Runner(Projection projection) {
            this.projection = projection;
            this.name = projection.name();
        }

        CheckpointedConsumer consumer() {
            return requireNonNull(consumer, "not started");
        }

        // Only the owner's gauge reports a lag; the others' checkpoints are not followed here.
        long lag() {
            CheckpointedConsumer running = consumer;
            return running != null && running.token() != 0
                    ? Math.max(0, running.knownHead() - running.checkpoint())
                    : 0;
        }

        @Override
        public EventFilter filter() {
            return projection.filter();
        }

        @Override
        public void applyInTransaction(Handle handle, List<RecordedEvent> batch) {
            projection.applyBatch(handle, batch);
        }

        @Override
        public void onOwnershipChanged(boolean owned, long fencingToken) {
            ProjectionDaemon.this.notify(() -> listener.onOwnershipChanged(name, owned, fencingToken));
        }

        @Override
        public void onCommitted(long checkpoint, long head, List<RecordedEvent> events, long nanos, String status) {
            metrics.batchCommitted(name, events, nanos);
            synchronized (progressMonitor) {
                progressMonitor.notifyAll();
            }
            ProjectionProgress progress =
                    new ProjectionProgress(name, ProjectionStatus.fromSql(status), checkpoint, head);
            ProjectionDaemon.this.notify(() -> listener.onProgress(progress));
        }

        @Override
        public void onFailure(long checkpoint, RuntimeException error, long retryMillis) {
            metrics.batchFailed(name);
            ProjectionDaemon.this.notify(() -> listener.onFailure(name, checkpoint, error));
        }

        @Override
        public void onRemovedEvents(long from, long to, long count) {
            metrics.removedBeforeProcessed(name, count);
        }
    }

    /** Configures a {@link ProjectionDaemon}; validates each setting as it is given. Not thread-safe. */
    public static final class Builder {
        private final PostgresEventStore store;
        private final DataSource dataSource;
        private final List<Projection> projections = new ArrayList<>();
        private BusConfig config = BusConfig.defaults();
        private String owner = LeasePolicy.defaultOwner();
        private Duration leaseDuration = DEFAULT_LEASE_DURATION;
        private ProjectionListener listener = ProjectionListener.NONE;
        private @Nullable MeterRegistry meterRegistry;
        private IntSupplier ownershipLimit = () -> Integer.MAX_VALUE;

        private Builder(PostgresEventStore store, DataSource dataSource) {
            this.store = store;
            this.dataSource = AutoCommitDataSource.from(dataSource); // checkpoints and read models commit on any pool
        }

        /**
         * Adds a projection. Its name must be unique within the daemon.
         *
         * @param projection the projection
         * @return this builder
         * @throws IllegalArgumentException if the name is malformed (see {@link SubscriptionName}) or already
         *     registered
         */
        public Builder register(Projection projection) {
            requireNonNull(projection, "projection");
            String name = SubscriptionName.of(projection.name()).value();
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
         * This daemon's id in {@code subscriptions.owner}; must be unique among running daemons. 1 to 200 characters,
         * not blank. Default: {@code <pid>@<host>/<8 random hex digits>}, the same format as {@link
         * PostgresEventBus.Builder#owner(String)}.
         *
         * @param owner the owner id
         * @return this builder
         * @throws IllegalArgumentException if it is blank or longer than 200 characters
         */
        public Builder owner(String owner) {
            this.owner = LeasePolicy.checkOwner(owner);
            return this;
        }

        /**
         * How long a lease lasts without renewal: a dead owner is replaced after about this long. At least {@link
         * #MIN_LEASE_DURATION}. Default: {@link #DEFAULT_LEASE_DURATION}, 10 s.
         *
         * @param leaseDuration the lease's length
         * @return this builder
         * @throws IllegalArgumentException if it is shorter than {@link #MIN_LEASE_DURATION}
         */
        public Builder leaseDuration(Duration leaseDuration) {
            this.leaseDuration = LeasePolicy.checkDuration(leaseDuration);
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
         * How many of its projections this daemon may own at once, read at every lease tick (every third of the lease
         * duration): it takes no lease beyond the limit, and gives leases back when the limit falls below what it
         * holds, so that another daemon can take them. Use it to share many projections (the partitions of one
         * consumer, say) between processes, with a limit such as the projections divided by the live processes.
         * The supplier must be cheap and must not block. Default: no limit, a daemon takes every free projection.
         *
         * @param ownershipLimit the current limit
         * @return this builder
         */
        public Builder ownershipLimit(IntSupplier ownershipLimit) {
            this.ownershipLimit = requireNonNull(ownershipLimit, "ownershipLimit");
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
    }
}
