package io.nexus.sagas;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.BusConfig;
import io.nexus.eventbus.Projection;
import io.nexus.eventbus.ProjectionDaemon;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.AutoCommitDataSource;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.sagas.internal.SagaRows;
import io.nexus.sagas.internal.SagaRuntime;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;

/**
 * Runs one {@link Saga} type against a {@link PostgresEventStore}, in any number of processes.
 *
 * <pre>{@code
 * try (SagaWorker worker = SagaWorker.builder(new OrderSaga(), store, dataSource).build().start()) {
 *     store.append(StreamId.of("order", orderId), ExpectedVersion.noStream(), List.of(NewEvent.of(created)));
 *     ...
 * }
 * }</pre>
 *
 * <p><b>Partitions.</b> Instances are spread over {@link Builder#partitions(int) N partitions} by the hash of their
 * association id; each partition is a projection of the checkpointed engine ({@link ProjectionDaemon}) named {@code
 * saga:<type>:<partition>}, with its own checkpoint and lease. So the events of one instance are handled in the
 * global order by one owner at a time, and different instances run in parallel on {@link BusConfig#workerCount()}
 * threads and across processes. Each worker owns at most ceil(N / live workers) partitions: a worker that joins gets
 * a share within a few lease renewals, and the share of one that dies is taken over once its lease expires. Keep N
 * fixed for a saga type: the checkpoints are per partition.
 *
 * <p><b>Exactly-once steps.</b> Each batch of a partition is one transaction that first moves the checkpoint with a
 * fenced compare-and-set, then, for each event, rebuilds the instance from its stream ({@code saga-<type>-<id>}),
 * asks the saga for its {@link Step}, and appends the instance's new events (expected version: the one loaded), the
 * emissions, and the deadline changes. A crash or a retry rolls all of it back together with the checkpoint.
 *
 * <p><b>Deadlines</b> live in {@code saga_deadlines}, due by the worker's {@link Builder#clock(Clock) clock}. Every
 * {@link Builder#deadlinePollInterval(Duration) poll interval} the worker fires the due deadlines of the partitions it
 * owns, each in a transaction fenced by the partition's lease: the deadline's removal, {@code saga.deadline-fired} in
 * the instance's stream and the saga's step on it commit together.
 *
 * <p>Thread-safe.
 */
public final class SagaWorker implements AutoCloseable {
    /** The longest saga type name accepted. */
    public static final int MAX_TYPE_LENGTH = 50;
    /** The longest association id accepted. */
    public static final int MAX_ASSOCIATION_ID_LENGTH = SagaRuntime.MAX_ASSOCIATION_ID_LENGTH;
    /** Default {@link Builder#partitions(int)}. */
    public static final int DEFAULT_PARTITIONS = 16;
    /** The most partitions accepted. */
    public static final int MAX_PARTITIONS = 1024;
    /** Default {@link Builder#deadlinePollInterval(Duration)}: 1 second. */
    public static final Duration DEFAULT_DEADLINE_POLL_INTERVAL = Duration.ofSeconds(1);
    /** Default {@link Builder#leaseDuration(Duration)}: that of projections, 10 seconds. */
    public static final Duration DEFAULT_LEASE_DURATION = ProjectionDaemon.DEFAULT_LEASE_DURATION;

    private static final System.Logger LOG = System.getLogger(SagaWorker.class.getName());
    private static final Pattern TYPE = Pattern.compile("[a-z0-9._]{1," + MAX_TYPE_LENGTH + "}");
    private static final int DEADLINES_PER_TRANSACTION = 100;

    private final String type;
    private final int partitions;
    private final List<String> partitionNames;
    private final SagaRuntime<?> runtime;
    private final SagaRows rows;
    private final Jdbi jdbi;
    private final ProjectionDaemon daemon;
    private final Duration leaseDuration;
    private final Duration deadlinePollInterval;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile int ownershipLimit;
    private volatile boolean closed;
    private volatile @Nullable Thread timer;

    private SagaWorker(Builder builder) {
        this.type = builder.saga.type();
        this.partitions = builder.partitions;
        this.leaseDuration = builder.leaseDuration;
        this.deadlinePollInterval = builder.deadlinePollInterval;
        this.ownershipLimit = partitions;
        this.jdbi = Jdbi.create(AutoCommitDataSource.from(builder.dataSource));
        this.rows = new SagaRows(builder.store.schema());
        ProjectionDaemon.Builder daemonBuilder = ProjectionDaemon.builder(builder.store, builder.dataSource)
                .config(builder.config)
                .leaseDuration(builder.leaseDuration)
                .ownershipLimit(() -> ownershipLimit);
        if (builder.owner != null) {
            daemonBuilder.owner(builder.owner);
        }
        // The owner id is only known once the daemon is built; the runtime stamps it as the events' source.
        List<String> names = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            names.add("saga:" + type + ":" + p);
        }
        this.partitionNames = List.copyOf(names);
        Set<String> triggers = new TreeSet<>(builder.saga.startedBy());
        triggers.addAll(builder.saga.handles());
        PartitionHolder holder = new PartitionHolder(EventFilter.types(triggers.toArray(String[]::new)));
        for (int p = 0; p < partitions; p++) {
            daemonBuilder.register(new PartitionProjection(partitionNames.get(p), p, holder));
        }
        this.daemon = daemonBuilder.build();
        this.runtime = runtime(builder.saga, builder, rows, daemon.owner());
        holder.runtime = runtime;
    }

    // Captures the saga's state type, so that the snapshots' class is checked against it once.
    private static <S> SagaRuntime<S> runtime(Saga<S> saga, Builder builder, SagaRows rows, String owner) {
        SagaSnapshots<?> snapshots = builder.snapshots;
        SagaSnapshots<S> typed = null;
        if (snapshots != null) {
            Class<?> initial = saga.initialState().getClass();
            if (!snapshots.stateClass().isAssignableFrom(initial)) {
                throw new IllegalArgumentException("snapshots of saga '" + saga.type() + "' hold "
                        + snapshots.stateClass().getName() + ", but its state is a " + initial.getName());
            }
            @SuppressWarnings("unchecked") // checked just above against the saga's own state
            SagaSnapshots<S> checked = (SagaSnapshots<S>) snapshots;
            typed = checked;
        }
        return new SagaRuntime<>(saga, builder.store, rows, builder.clock, owner, builder.partitions, typed);
    }

    /**
     * A builder for a worker running {@code saga} on {@code store}, writing through {@code dataSource}.
     *
     * @param saga the saga type
     * @param store the store to read the global order from and append to
     * @param dataSource a pool on the same database (its connections may start with autocommit on or off); each worker
     *     thread holds one connection for its batch and borrows a second to read instance streams
     * @return a builder with every other setting at its default
     * @throws IllegalArgumentException if the saga's type name or event types are not valid
     */
    public static Builder builder(Saga<?> saga, PostgresEventStore store, DataSource dataSource) {
        return new Builder(saga, store, dataSource);
    }

    /**
     * Joins the saga type's workers and starts handling the partitions it gets, and firing their deadlines.
     *
     * @return this worker
     * @throws IllegalStateException if already started or closed
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database cannot be reached
     */
    public SagaWorker start() {
        if (closed || !started.compareAndSet(false, true)) {
            throw new IllegalStateException("saga worker " + owner() + " was already started or closed");
        }
        heartbeat(); // the share is known before the first lease is taken
        daemon.start();
        Thread thread = new Thread(this::runTimers, "nexus-saga-" + type + "-timers");
        thread.setDaemon(true);
        timer = thread;
        thread.start();
        return this;
    }

    /** {@return this worker's owner id: in the partitions' leases and as the source of what it appends} */
    public String owner() {
        return daemon.owner();
    }

    /** {@return the saga type this worker runs} */
    public String type() {
        return type;
    }

    /** {@return the number of partitions} */
    public int partitions() {
        return partitions;
    }

    /**
     * The partitions this worker owns right now.
     *
     * @return the partition numbers, sorted
     */
    public Set<Integer> ownedPartitions() {
        Set<String> owned = daemon.ownedProjections();
        Set<Integer> result = new TreeSet<>();
        for (int p = 0; p < partitions; p++) {
            if (owned.contains(partitionNames.get(p))) {
                result.add(p);
            }
        }
        return result;
    }

    /**
     * Waits until every partition has handled the global order up to {@code position} (whichever worker owns it).
     *
     * @param position a global position
     * @param timeout how long to wait in all
     * @throws io.nexus.eventbus.ProjectionTimeoutException if a partition did not get there in time
     * @throws InterruptedException if interrupted
     */
    public void awaitPosition(long position, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String name : partitionNames) {
            daemon.awaitPosition(name, position, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
    }

    /**
     * Fires now the deadlines that are due by the clock in the partitions this worker owns, as the poll does; for
     * tests that move a controllable clock.
     *
     * @return how many deadlines fired
     */
    public int fireDueDeadlines() {
        int fired = 0;
        for (int p : ownedPartitions()) {
            int partition = p;
            while (true) {
                int count = daemon.inOwnedTransaction(
                                partitionNames.get(partition),
                                handle -> runtime.fireDue(handle, partition, DEADLINES_PER_TRANSACTION))
                        .orElse(0);
                fired += count;
                if (count < DEADLINES_PER_TRANSACTION) {
                    break;
                }
            }
        }
        return fired;
    }

    /**
     * Stops handling (a batch in flight finishes), gives the partitions back at once and leaves the workers. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Thread thread = timer;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        daemon.close();
        if (started.get()) {
            try {
                jdbi.useTransaction(handle -> rows.leave(handle, type, owner()));
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "could not leave the saga workers; the heartbeat expires by itself", e);
            }
        }
    }

    private void heartbeat() {
        int live = jdbi.inTransaction(handle -> rows.heartbeat(handle, type, owner(), leaseDuration.toMillis()));
        ownershipLimit = (partitions + Math.max(1, live) - 1) / Math.max(1, live);
    }

    private void runTimers() {
        long heartbeatNanos = leaseDuration.toNanos() / 3;
        long nextHeartbeat = System.nanoTime() + heartbeatNanos;
        long nextDeadlines = System.nanoTime();
        while (!closed) {
            try {
                long now = System.nanoTime();
                if (now - nextHeartbeat >= 0) {
                    nextHeartbeat = now + heartbeatNanos;
                    heartbeat();
                }
                if (now - nextDeadlines >= 0) {
                    nextDeadlines = now + deadlinePollInterval.toNanos();
                    fireDueDeadlines();
                }
                long sleep = Math.min(nextHeartbeat, nextDeadlines) - System.nanoTime();
                if (sleep > 0) {
                    TimeUnit.NANOSECONDS.sleep(sleep);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                // A failed heartbeat keeps the last share; a failed firing is retried at the next poll.
                LOG.log(Level.WARNING, "saga '" + type + "' timers failed; retrying", e);
                try {
                    TimeUnit.NANOSECONDS.sleep(Math.min(heartbeatNanos, deadlinePollInterval.toNanos()));
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /** The runtime, set once the daemon (whose owner id it needs) is built and before it starts. */
    private static final class PartitionHolder {
        final EventFilter filter;
        volatile @Nullable SagaRuntime<?> runtime;

        PartitionHolder(EventFilter filter) {
            this.filter = filter;
        }

        SagaRuntime<?> runtime() {
            return requireNonNull(runtime, "runtime");
        }
    }

    /** One partition as a projection of the engine: its batch is handled in the checkpoint's transaction. */
    private static final class PartitionProjection implements Projection {
        private final String name;
        private final int partition;
        private final PartitionHolder holder;

        PartitionProjection(String name, int partition, PartitionHolder holder) {
            this.name = name;
            this.partition = partition;
            this.holder = holder;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public EventFilter filter() {
            return holder.filter;
        }

        @Override
        public void apply(Handle handle, RecordedEvent event) {
            holder.runtime().handleBatch(handle, partition, List.of(event));
        }

        @Override
        public void applyBatch(Handle handle, List<RecordedEvent> events) {
            holder.runtime().handleBatch(handle, partition, events);
        }

        /** Never called: a saga's partitions are not rebuilt (that would run every step again). */
        @Override
        public void reset(Handle handle) {
            throw new UnsupportedOperationException("saga partition '" + name + "' cannot be rebuilt");
        }
    }

    /** Configures a {@link SagaWorker}; validates each setting as it is given. Not thread-safe. */
    public static final class Builder {
        private final Saga<?> saga;
        private final PostgresEventStore store;
        private final DataSource dataSource;
        private int partitions = DEFAULT_PARTITIONS;
        private BusConfig config = BusConfig.defaults();
        private @Nullable String owner;
        private Duration leaseDuration = DEFAULT_LEASE_DURATION;
        private Duration deadlinePollInterval = DEFAULT_DEADLINE_POLL_INTERVAL;
        private Clock clock = Clock.systemUTC();
        private @Nullable SagaSnapshots<?> snapshots;

        private Builder(Saga<?> saga, PostgresEventStore store, DataSource dataSource) {
            this.saga = requireNonNull(saga, "saga");
            this.store = requireNonNull(store, "store");
            this.dataSource = requireNonNull(dataSource, "dataSource");
            String type = requireNonNull(saga.type(), "saga type");
            if (!TYPE.matcher(type).matches()) {
                throw new IllegalArgumentException("a saga type must be 1 to " + MAX_TYPE_LENGTH
                        + " characters of a-z, 0-9, '.' and '_'; was '" + type + "'");
            }
            if (requireNonNull(saga.startedBy(), "startedBy").isEmpty()) {
                throw new IllegalArgumentException("saga '" + type + "' must be started by at least one event type");
            }
            requireNonNull(saga.handles(), "handles");
            EventFilter.types(saga.startedBy().toArray(String[]::new));
            EventFilter.types(saga.handles().toArray(String[]::new));
        }

        /**
         * How many partitions the instances are spread over: the most workers that can share the saga, and the most
         * instances handled in parallel. Keep it fixed for a saga type. 1 to {@value #MAX_PARTITIONS}. Default:
         * {@value #DEFAULT_PARTITIONS}.
         *
         * @param partitions the number of partitions
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder partitions(int partitions) {
            if (partitions < 1 || partitions > MAX_PARTITIONS) {
                throw new IllegalArgumentException("partitions must be 1 to " + MAX_PARTITIONS + ", was " + partitions);
            }
            this.partitions = partitions;
            return this;
        }

        /**
         * The settings read: {@code workerCount} (threads handling partitions), {@code batchSize}, {@code
         * flushInterval}, {@code retryDelay}, {@code exponentialBackoff}, {@code metricsEnabled}. Default: {@link
         * BusConfig#defaults()}.
         *
         * @param config the settings
         * @return this builder
         */
        public Builder config(BusConfig config) {
            this.config = requireNonNull(config, "config");
            return this;
        }

        /**
         * This worker's id in the partitions' leases; unique among running workers. Default: {@code
         * <pid>@<host>/<8 random hex digits>}.
         *
         * @param owner the owner id, 1 to 200 characters
         * @return this builder
         * @throws IllegalArgumentException if blank or too long
         */
        public Builder owner(String owner) {
            ProjectionDaemon.builder(store, dataSource).owner(owner); // the daemon's own validation
            this.owner = owner;
            return this;
        }

        /**
         * How long a partition's lease lasts without renewal; a dead worker's partitions are taken over after about
         * this long. Default: {@link #DEFAULT_LEASE_DURATION}.
         *
         * @param leaseDuration the lease's length, at least {@link ProjectionDaemon#MIN_LEASE_DURATION}
         * @return this builder
         * @throws IllegalArgumentException if too short
         */
        public Builder leaseDuration(Duration leaseDuration) {
            ProjectionDaemon.builder(store, dataSource).leaseDuration(leaseDuration);
            this.leaseDuration = leaseDuration;
            return this;
        }

        /**
         * How often due deadlines are looked for. Default: {@link #DEFAULT_DEADLINE_POLL_INTERVAL}.
         *
         * @param deadlinePollInterval the interval, positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder deadlinePollInterval(Duration deadlinePollInterval) {
            requireNonNull(deadlinePollInterval, "deadlinePollInterval");
            if (deadlinePollInterval.isNegative() || deadlinePollInterval.isZero()) {
                throw new IllegalArgumentException(
                        "deadlinePollInterval must be positive, was " + deadlinePollInterval);
            }
            this.deadlinePollInterval = deadlinePollInterval;
            return this;
        }

        /**
         * The clock deadlines are set and judged by. Default: {@link Clock#systemUTC()}; tests give a clock they move.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Snapshots the instances' state every few events, for long-lived sagas (see {@link SagaSnapshots}); needs
         * the {@code snapshots} table (migration V4). Default: none, every step folds the instance's whole stream.
         *
         * @param snapshots the state class, its schema version and how often
         * @return this builder
         */
        public Builder snapshots(SagaSnapshots<?> snapshots) {
            this.snapshots = requireNonNull(snapshots, "snapshots");
            return this;
        }

        /**
         * Builds the worker; call {@link SagaWorker#start()} to run it.
         *
         * @return the worker, not started
         * @throws IllegalArgumentException if the snapshots' state class is not the saga's state class
         */
        public SagaWorker build() {
            return new SagaWorker(this);
        }
    }
}
