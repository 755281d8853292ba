package io.nexus.eventsourcing;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.EventAppender;
import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.Snapshot;
import io.nexus.eventstore.core.SnapshotStore;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.WrongExpectedVersionException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import org.jspecify.annotations.Nullable;

/**
 * Loads, decides and appends the aggregates of one {@link AggregateType} on any {@link EventStore}. Thread-safe;
 * build one per type and share it.
 *
 * <pre>{@code
 * AggregateRepository<AccountCommand, AccountEvent, Account> accounts = AggregateRepository.builder(store, type)
 *         .snapshots(PostgresSnapshotStore.of(store))   // default: none
 *         .maxAttempts(5)                               // default: 1, a conflict is an error at once
 *         .build();
 * Decision<AccountEvent, Account> done = accounts.handle("alice", new Deposit(100));
 * }</pre>
 *
 * <p><b>Loading</b> reads the latest snapshot of the type's schema version, if any, and folds only the events after
 * it, through the store's lazily paged read. A snapshot of another schema version, or one that cannot be read, is
 * ignored: the state is folded from the stream's start and snapshotted again.
 *
 * <p><b>Handling</b> a command loads, calls {@code decide}, and appends the events with the loaded version as the
 * expected version. If another writer appended in between, the append fails with nothing written; with {@link
 * Builder#maxAttempts(int)} above 1 the command is decided again on the fresh state, up to that many times in all,
 * then {@link AggregateConflictException} says how many attempts were made.
 *
 * <p><b>Snapshots</b> (with {@link Builder#snapshots(SnapshotStore)} and {@link AggregateType} snapshots on) are taken
 * when a command or load has folded at least {@link AggregateType#snapshotEvery()} events on top of the snapshot it
 * started from. They are written after the append committed, on {@link Builder#snapshotExecutor(Executor)}, and never
 * fail the command: a failed write is logged (as a WARNING) and the next command or load that qualifies tries again. A
 * snapshot holds exactly the state at its version (the append with that expected version succeeded), and the snapshot
 * store keeps the newest of racing writes, so a slow or failed write costs only speed, never correctness.
 *
 * @param <C> the commands
 * @param <E> the events
 * @param <S> the state
 */
public final class AggregateRepository<C, E, S> {
    /** Default {@link Builder#maxAttempts(int)}: {@value}, no retry. */
    public static final int DEFAULT_MAX_ATTEMPTS = 1;

    private static final System.Logger LOG = System.getLogger(AggregateRepository.class.getName());

    private final EventStore store;
    private final AggregateType<C, E, S> type;
    private final @Nullable SnapshotStore snapshots;
    private final int maxAttempts;
    private final Executor snapshotExecutor;
    private final Clock clock;

    private AggregateRepository(Builder<C, E, S> builder) {
        this.store = builder.store;
        this.type = builder.type;
        this.snapshots = builder.snapshots;
        this.maxAttempts = builder.maxAttempts;
        this.snapshotExecutor = builder.snapshotExecutor;
        this.clock = builder.clock;
    }

    /**
     * Starts a repository for {@code type} on {@code store}.
     *
     * @param store where the aggregates' streams are
     * @param type the aggregate type
     * @param <C> the commands
     * @param <E> the events
     * @param <S> the state
     * @return a builder with every other setting at its default
     */
    public static <C, E, S> Builder<C, E, S> builder(EventStore store, AggregateType<C, E, S> type) {
        return new Builder<>(store, type);
    }

    /** {@return the aggregate type} */
    public AggregateType<C, E, S> type() {
        return type;
    }

    /**
     * Loads the aggregate {@code id}: its latest usable snapshot and the events after it.
     *
     * @param id the aggregate's id within its type
     * @return the aggregate; at version 0 with the initial state if it has no events
     * @throws IllegalStateException if a stored event is not of the type's event class (an unregistered type)
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the store cannot be reached
     */
    public Aggregate<S> load(String id) {
        Aggregate<S> aggregate = fold(type.streamId(id));
        if (isSnapshotDue(aggregate.eventsRead())) {
            snapshotLater(aggregate.streamId(), aggregate.version(), aggregate.state());
        }
        return aggregate;
    }

    /**
     * Handles {@code command} on the aggregate {@code id}: loads it, decides, and appends the events in a transaction
     * of the store's own, retrying on a version conflict as {@link Builder#maxAttempts(int)} allows.
     *
     * @param id the aggregate's id within its type
     * @param command the command
     * @return the events appended and the aggregate after them
     * @throws AggregateConflictException if every attempt lost to a concurrent append; nothing was appended
     * @throws RuntimeException whatever {@code decide} threw to refuse the command; nothing was appended
     */
    public Decision<E, S> handle(String id, C command) {
        requireNonNull(command, "command");
        StreamId streamId = type.streamId(id);
        for (int attempt = 1; ; attempt++) {
            Aggregate<S> aggregate = fold(streamId);
            try {
                Decision<E, S> decision = decideAndAppend(store, aggregate, command, attempt);
                if (isSnapshotDue(aggregate.eventsRead() + decision.events().size())) {
                    snapshotLater(streamId, decision.version(), decision.state());
                }
                return decision;
            } catch (WrongExpectedVersionException conflict) {
                if (attempt >= maxAttempts) {
                    throw new AggregateConflictException(streamId, attempt, conflict);
                }
            }
        }
    }

    /**
     * Handles {@code command} on the aggregate {@code id} inside the caller's transaction: loads it from the store
     * (what is committed), decides, and appends through {@code transaction} (such as a {@code PostgresTransaction}),
     * so the events commit with the caller's other work or not at all. Once: a conflict aborts the caller's
     * transaction, so it is thrown and the caller retries its whole unit of work. No snapshot is taken, as the events
     * are not committed yet; the next {@link #handle(String, Object)} or {@link #load(String)} that qualifies takes it.
     *
     * @param transaction appends in the caller's transaction
     * @param id the aggregate's id within its type
     * @param command the command
     * @return the events appended and the aggregate after them, valid once the caller commits
     * @throws WrongExpectedVersionException if another writer appended since the load; the transaction is aborted
     * @throws RuntimeException whatever {@code decide} threw to refuse the command; nothing was appended
     */
    public Decision<E, S> handle(EventAppender transaction, String id, C command) {
        requireNonNull(transaction, "transaction");
        requireNonNull(command, "command");
        return decideAndAppend(transaction, fold(type.streamId(id)), command, 1);
    }

    private Decision<E, S> decideAndAppend(EventAppender appender, Aggregate<S> aggregate, C command, int attempt) {
        List<E> events = List.copyOf(type.decider().decide(command, aggregate.state()));
        if (events.isEmpty()) {
            return new Decision<>(aggregate.streamId(), events, aggregate.state(), aggregate.version(), attempt);
        }
        List<NewEvent> newEvents = new ArrayList<>(events.size());
        S state = aggregate.state();
        for (E event : events) {
            newEvents.add(type.toNewEvent(event));
            state = requireNonNull(type.decider().evolve(state, event), "evolve returned null");
        }
        ExpectedVersion expected =
                aggregate.exists() ? ExpectedVersion.exactly(aggregate.version()) : ExpectedVersion.noStream();
        AppendResult result = appender.append(aggregate.streamId(), expected, newEvents);
        return new Decision<>(aggregate.streamId(), events, state, result.nextExpectedVersion(), attempt);
    }

    private Aggregate<S> fold(StreamId streamId) {
        S state = type.decider().initialState();
        long version = 0;
        Optional<Snapshot<S>> snapshot = latestSnapshot(streamId);
        if (snapshot.isPresent()) {
            state = snapshot.get().state();
            version = snapshot.get().streamVersion();
        }
        long read = 0;
        for (RecordedEvent recorded : store.streamEvents(streamId, version + 1)) {
            state = requireNonNull(type.decider().evolve(state, type.eventOf(recorded)), "evolve returned null");
            version = recorded.streamVersion();
            read++;
        }
        return new Aggregate<>(streamId, state, version, read);
    }

    private Optional<Snapshot<S>> latestSnapshot(StreamId streamId) {
        if (snapshots == null || type.snapshotEvery() == 0) {
            return Optional.empty();
        }
        try {
            return snapshots.load(streamId, type.name(), type.snapshotSchemaVersion(), type.stateClass());
        } catch (RuntimeException e) {
            // A snapshot is a cache: one that cannot be read (a changed state class kept at the same schema version,
            // storage down) costs a full fold, never the command.
            LOG.log(
                    Level.WARNING,
                    "could not read the '" + type.name() + "' snapshot of " + streamId + "; folding its whole stream",
                    e);
            return Optional.empty();
        }
    }

    private boolean isSnapshotDue(long eventsFoldedSinceSnapshot) {
        return snapshots != null && type.snapshotEvery() > 0 && eventsFoldedSinceSnapshot >= type.snapshotEvery();
    }

    private void snapshotLater(StreamId streamId, long version, S state) {
        SnapshotStore target = requireNonNull(snapshots, "snapshots");
        Snapshot<S> snapshot =
                new Snapshot<>(streamId, type.name(), version, type.snapshotSchemaVersion(), state, clock.instant());
        try {
            snapshotExecutor.execute(() -> save(target, snapshot));
        } catch (RuntimeException rejected) {
            LOG.log(
                    Level.WARNING,
                    "could not schedule the snapshot of " + streamId + " at version " + version,
                    rejected);
        }
    }

    private static void save(SnapshotStore target, Snapshot<?> snapshot) {
        try {
            target.save(snapshot);
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "could not save the '" + snapshot.snapshotType() + "' snapshot of " + snapshot.streamId()
                            + " at version " + snapshot.streamVersion() + "; the next qualifying command retries",
                    e);
        }
    }

    /**
     * Configures an {@link AggregateRepository}; validates each setting as it is given. Not thread-safe.
     *
     * @param <C> the commands
     * @param <E> the events
     * @param <S> the state
     */
    public static final class Builder<C, E, S> {
        private final EventStore store;
        private final AggregateType<C, E, S> type;
        private @Nullable SnapshotStore snapshots;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Executor snapshotExecutor = ForkJoinPool.commonPool();
        private Clock clock = Clock.systemUTC();

        private Builder(EventStore store, AggregateType<C, E, S> type) {
            this.store = requireNonNull(store, "store");
            this.type = requireNonNull(type, "type");
        }

        /**
         * Where snapshots are kept. Default: none, every load folds the whole stream.
         *
         * @param snapshots the snapshot store
         * @return this builder
         */
        public Builder<C, E, S> snapshots(SnapshotStore snapshots) {
            this.snapshots = requireNonNull(snapshots, "snapshots");
            return this;
        }

        /**
         * How many times a command is decided in all when its append keeps losing to concurrent writers. Default:
         * {@value AggregateRepository#DEFAULT_MAX_ATTEMPTS}, no retry.
         *
         * @param maxAttempts at least 1
         * @return this builder
         * @throws IllegalArgumentException if it is below 1
         */
        public Builder<C, E, S> maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * Where snapshots are written, after the command's append. Default: {@link ForkJoinPool#commonPool()}, off
         * the caller's thread. {@code Runnable::run} writes them on the caller's thread after the append (tests,
         * fixtures).
         *
         * @param snapshotExecutor runs snapshot writes
         * @return this builder
         */
        public Builder<C, E, S> snapshotExecutor(Executor snapshotExecutor) {
            this.snapshotExecutor = requireNonNull(snapshotExecutor, "snapshotExecutor");
            return this;
        }

        /**
         * The clock stamping snapshots' {@code takenAt}. Default: {@link Clock#systemUTC()}.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder<C, E, S> clock(Clock clock) {
            this.clock = requireNonNull(clock, "clock");
            return this;
        }

        /** {@return the repository} */
        public AggregateRepository<C, E, S> build() {
            return new AggregateRepository<>(this);
        }
    }
}
