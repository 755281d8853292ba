package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.nexus.eventbus.internal.AnnotatedHandlers;
import io.nexus.eventbus.internal.BusMetrics;
import io.nexus.eventbus.internal.Dispatcher;
import io.nexus.eventbus.internal.DurableWorker;
import io.nexus.eventbus.internal.RecentDispatches;
import io.nexus.eventbus.internal.StoreNotifications;
import io.nexus.eventbus.internal.SubscriptionSql;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongConsumer;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jspecify.annotations.Nullable;

/**
 * The {@code postgres} backend: a durable {@link EventBus} on the PostgreSQL event store. {@code emit} appends to the
 * store; listeners receive events only after they committed, in the store's global order, read in batches of {@link
 * BusConfig#batchSize()} and woken by LISTEN/NOTIFY on one dedicated connection per process, shared by every bus on
 * the same {@link DataSource} and schema (a hint only: the head is also polled every {@link
 * BusConfig#flushInterval()}, and the connection is re-established when lost).
 *
 * <pre>{@code
 * try (PostgresEventBus bus = PostgresEventBus.builder(dataSource).build()) {
 *     bus.subscribe("user.*", event -> welcome(event), 10);                        // in-process, from now on
 *     bus.subscribeDurable("mailer", "user.registered", event -> sendMail(event)); // named, checkpointed
 *     bus.emit(NewEvent.of("user.registered", new UserRegistered("ada")));
 * }
 * }</pre>
 *
 * <p><b>In-process subscriptions</b> ({@link #subscribe}, {@link #register}, {@link #waitFor}) see the events
 * committed after the bus was built (and, for waiters, after the call), one at a time on one dispatch thread, in
 * global order. A listener's failure goes to the {@link HandlerFailureListener} once and is not retried: an in-process
 * subscription keeps no checkpoint. Use a durable subscription for anything that must not be missed.
 *
 * <p><b>Durable subscriptions</b> ({@link #subscribeDurable}) are named readers of the global order with a checkpoint
 * in the {@code subscriptions} table: a new one starts at the beginning, a known one resumes after its checkpoint,
 * catches up and then follows live. Delivery is at-least-once: the checkpoint advances after each batch, so a crash or
 * a lost connection re-delivers at most the events of the batch in flight. A failing event is retried {@link
 * BusConfig#retryAttempts()} times after {@link BusConfig#retryDelay()} (doubling each time with {@link
 * BusConfig#exponentialBackoff()}), then recorded in {@code dead_letters} with its error and attempt count, and the
 * subscription goes on with the next event, <em>including later events of the same stream</em>: a dead letter never
 * blocks a subscription, so a listener must tolerate having missed an earlier event of a stream until it is
 * re-delivered ({@link #redeliver(long)}), which then arrives out of stream order. See {@code
 * doc/adr/0004-dead-letters-and-stream-order.md}. The latest failure is kept in the subscription's {@code last_error}.
 *
 * <p><b>One consumer per durable subscription.</b> Any number of processes may subscribe with one name; exactly one
 * consumes at a time: it holds a lease on the subscription's row (owner, fencing token, expiry in the server's clock),
 * renews it every third of {@link Builder#leaseDuration(Duration)} on a keeper thread (so a slow listener keeps it),
 * and every checkpoint write is a compare-and-set on its fencing token, so a deposed owner can write nothing. When the
 * owner stops ({@link DurableSubscription#close()} releases the lease) or dies (its lease expires), another process
 * takes over from the checkpoint. A listener that hangs keeps the lease as long as its process lives: the lease
 * guards against dead processes, not stuck handlers. A process cut off from the database for longer than the lease
 * may be replaced while a handler is still running; its later writes fail on the fencing token and it stops.
 *
 * <p><b>Emit priority in a durable log.</b> The store's global order is its commit order, and that is the order every
 * subscriber sees: an emitted event is committed by the time {@code emit} returns, so nothing queues in this bus for a
 * priority to reorder. The priority is recorded in the event's metadata under {@link #PRIORITY_METADATA_KEY} (when it
 * is not {@link #DEFAULT_PRIORITY}) for listeners that want it; it does not change dispatch order, which would break
 * stream order and make checkpoints unsound. Listener priority ({@code subscribe(.., priority)}) works as on every bus.
 *
 * <p><b>Configuration.</b> This backend reads {@link BusConfig#batchSize()}, {@link BusConfig#flushInterval()}, the
 * retry settings and {@link BusConfig#metricsEnabled()}. It ignores {@link BusConfig#maxQueueSize()} and {@link
 * BusConfig#emitTimeout()} (emit is a synchronous append: the database is the queue) and {@link
 * BusConfig#workerCount()} (in-process listeners run on one dispatch thread to keep global order; each durable
 * subscription has a thread of its own).
 *
 * <p><b>Metrics</b> (with {@link Builder#meterRegistry(MeterRegistry)}): {@code nexus.bus.events.emitted}, {@code
 * nexus.bus.events.processed} and {@code nexus.bus.processing.time} (tag {@code subscription}, {@code in-process} for
 * in-process listeners), {@code nexus.bus.retries}, {@code nexus.bus.dead.letters}, {@code
 * nexus.bus.subscription.lag} (per durable subscription) and {@code nexus.bus.subscriptions.active}. The SQL view
 * {@code subscription_status} shows every subscription's checkpoint, head, lag, owner, lease and last error.
 *
 * <p>Thread-safe. Database failures in {@code emit} and the dead-letter methods throw {@link
 * io.nexus.eventstore.core.EventStoreException}s; the bus's own threads retry with backoff.
 */
public final class PostgresEventBus implements EventBus {
    /** Default {@link Builder#leaseDuration(Duration)}: 10 seconds. */
    public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(10);
    /** Default {@link Builder#tracing(boolean)}: {@value}, as {@link NexusConfig#DEFAULT_TRACING}. */
    public static final boolean DEFAULT_TRACING = NexusConfig.DEFAULT_TRACING;
    /** The metadata key under which {@link #emit(NewEvent, int)} records a non-default priority. */
    public static final String PRIORITY_METADATA_KEY = "nexus.priority";
    /** The longest durable subscription name accepted. */
    public static final int MAX_SUBSCRIPTION_NAME_LENGTH = 200;

    private static final System.Logger LOG = System.getLogger("io.nexus.eventbus");
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    private final BusConfig config;
    private final PostgresEventStore store;
    private final LongConsumer headListener; // the store's sequencer tells notifications of new heads directly
    private final boolean ownsStore;
    private final @Nullable AutoCloseable ownedResource;
    private final Jdbi jdbi;
    private final SubscriptionSql sql;
    private final StreamRouter router;
    private final boolean tracing;
    private final Dispatcher dispatcher;
    private final BusMetrics metrics;
    private final String owner;
    private final Duration leaseDuration;
    private final StoreNotifications notifications;
    private final Map<String, DurableWorker> durable = new ConcurrentHashMap<>();
    private final Thread dispatchThread;
    private final ScheduledExecutorService leaseKeeper;
    private volatile long dispatched;
    private final RecentDispatches recent = new RecentDispatches();
    private volatile boolean closed;

    private PostgresEventBus(Builder builder, PostgresEventStore store, boolean ownsStore) {
        this.config = builder.config.build();
        this.store = store;
        this.ownsStore = ownsStore;
        this.ownedResource = builder.ownedResource;
        this.jdbi = Jdbi.create(builder.dataSource);
        this.sql = SubscriptionSql.of(store.schema());
        this.router = builder.router;
        this.tracing = builder.tracing;
        this.dispatcher = new Dispatcher(builder.failureListener);
        this.metrics = BusMetrics.of(config.metricsEnabled() ? builder.meterRegistry : null);
        this.owner = builder.owner;
        this.leaseDuration = builder.leaseDuration;
        metrics.inProcessSubscriptions(dispatcher::subscriptionCount);
        this.dispatched = store.headPosition();
        this.leaseKeeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "nexus-lease-keeper-" + store.schema());
            thread.setDaemon(true);
            return thread;
        });
        this.notifications = StoreNotifications.shared(builder.dataSource, store.schema(), config.flushInterval());
        this.headListener = notifications::offer;
        store.addHeadListener(headListener);
        this.dispatchThread = new Thread(this::dispatchLoop, "nexus-postgres-bus-" + store.schema());
        dispatchThread.setDaemon(true);
        dispatchThread.start();
    }

    /**
     * A builder for a bus that creates its own {@link PostgresEventStore} on {@code dataSource} (see {@link
     * Builder#schema(String)} and {@link Builder#types(EventTypeRegistry)}). The caller owns and closes the pool; it
     * should allow at least one connection more than the bus's durable subscriptions, for the notification connection.
     *
     * @param dataSource a pool on the migrated database
     * @return a builder with every other setting at its default
     */
    public static Builder builder(DataSource dataSource) {
        return new Builder(requireNonNull(dataSource, "dataSource"), null);
    }

    /**
     * A builder for a bus on an existing {@code store}, which the caller keeps and closes; {@code dataSource} must
     * reach the same database (the bus uses it for subscriptions, dead letters and its notification connection).
     *
     * @param store the store to append to and read from
     * @param dataSource a pool on the store's database
     * @return a builder with every other setting at its default
     */
    public static Builder builder(PostgresEventStore store, DataSource dataSource) {
        return new Builder(requireNonNull(dataSource, "dataSource"), requireNonNull(store, "store"));
    }

    /** {@return the configuration this bus was built with} */
    public BusConfig config() {
        return config;
    }

    /** {@return the store events are appended to and read from} */
    public PostgresEventStore store() {
        return store;
    }

    /** {@return this process's owner name in subscription leases} */
    public String owner() {
        return owner;
    }

    /**
     * Appends {@code event} to the stream the {@link StreamRouter} chooses (expected version "any") and returns after
     * the commit. {@code priority} is recorded in metadata, not used for ordering: see the class comment.
     *
     * @throws io.nexus.eventstore.core.EventStoreException if the append fails; nothing was emitted
     */
    @Override
    public void emit(NewEvent event, int priority) {
        requireNonNull(event, "event");
        NewEvent stamped = tracing ? Dispatcher.inheritContext(event) : event;
        if (priority != DEFAULT_PRIORITY) {
            Map<String, String> metadata = new HashMap<>(stamped.metadata());
            metadata.put(PRIORITY_METADATA_KEY, Integer.toString(priority));
            stamped = stamped.withMetadata(metadata);
        }
        StreamId stream = requireNonNull(router.streamFor(stamped), "the stream router returned null");
        checkOpen();
        store.append(stream, ExpectedVersion.any(), List.of(stamped));
        metrics.emitted(stamped.type());
    }

    @Override
    public SubscriptionId subscribe(String typePattern, EventListener listener, int priority) {
        TypePattern pattern = TypePattern.of(typePattern);
        requireNonNull(listener, "listener");
        return dispatcher
                .subscribe(List.of(new Dispatcher.Registration(pattern, event -> true, listener, priority)))
                .get(0);
    }

    @Override
    public List<SubscriptionId> register(Object handlers) {
        return dispatcher.subscribe(AnnotatedHandlers.scan(handlers));
    }

    @Override
    public boolean unsubscribe(SubscriptionId id) {
        return dispatcher.unsubscribe(id);
    }

    @Override
    public CompletableFuture<RecordedEvent> waitFor(String typePattern, Duration timeout) {
        return dispatcher.waitFor(TypePattern.of(typePattern), timeout);
    }

    /** The number of in-process subscriptions (durable subscriptions are not counted). */
    @Override
    public int subscriptionCount() {
        return dispatcher.subscriptionCount();
    }

    /**
     * A durable subscription to every category; see {@link #subscribeDurable(String, String, Set, EventListener)}.
     *
     * @param name the subscription's name; keep it across restarts, so it resumes from its checkpoint
     * @param typePattern an exact type, {@code *}, {@code user.*} or {@code *.error}; see {@link TypePattern}
     * @param listener handles each event
     * @return the running subscription
     */
    public DurableSubscription subscribeDurable(String name, String typePattern, EventListener listener) {
        return subscribeDurable(name, typePattern, Set.of(), listener);
    }

    /**
     * Starts consuming the durable subscription {@code name} in this process: events whose type matches {@code
     * typePattern} and, unless {@code categories} is empty, whose stream's category is one of them. The listener runs
     * on the subscription's own thread, one event at a time, in global order, only while this process holds the
     * subscription's lease. The filter may change between runs; the checkpoint stays.
     *
     * @param name the subscription's name; keep it across restarts, so it resumes from its checkpoint
     * @param typePattern an exact type, {@code *}, {@code user.*} or {@code *.error}; see {@link TypePattern}
     * @param categories the stream categories to receive; empty for all
     * @param listener handles each event
     * @return the running subscription
     * @throws IllegalArgumentException if the name is blank or longer than {@value #MAX_SUBSCRIPTION_NAME_LENGTH}, the
     *     pattern is malformed, or a projection has the name
     * @throws IllegalStateException if this bus already runs a subscription of that name, or is closed
     */
    public DurableSubscription subscribeDurable(
            String name, String typePattern, Set<String> categories, EventListener listener) {
        requireNonNull(name, "name");
        if (name.isBlank() || name.length() > MAX_SUBSCRIPTION_NAME_LENGTH) {
            throw new IllegalArgumentException("subscription name must be 1 to " + MAX_SUBSCRIPTION_NAME_LENGTH
                    + " characters, not blank, was '" + name + "'");
        }
        TypePattern pattern = TypePattern.of(typePattern);
        for (String category : requireNonNull(categories, "categories")) {
            if (requireNonNull(category, "category").isBlank() || category.contains("-")) {
                throw new IllegalArgumentException("a category is the part of a stream id before the first '-', was '"
                        + category + "'");
            }
        }
        requireNonNull(listener, "listener");
        checkOpen();
        DurableWorker.Settings settings = new DurableWorker.Settings(
                name, owner, pattern, categories, listener, config, leaseDuration);
        synchronized (durable) {
            if (durable.containsKey(name)) {
                throw new IllegalStateException("durable subscription '" + name + "' already runs on this bus");
            }
            DurableWorker worker = run("start durable subscription '" + name + "'", () -> DurableWorker.start(
                    settings, store, jdbi, sql, notifications, metrics, leaseKeeper, () -> durable.remove(name)));
            durable.put(name, worker);
            return worker;
        }
    }

    /**
     * The dead letters of subscription {@code subscription}, oldest position first, at most {@code maxCount}.
     *
     * @param subscription the durable subscription's name
     * @param maxCount the most dead letters to return
     * @return the dead letters
     * @throws IllegalArgumentException if {@code maxCount} is below 1
     */
    public List<DeadLetter> deadLetters(String subscription, int maxCount) {
        requireNonNull(subscription, "subscription");
        if (maxCount < 1) {
            throw new IllegalArgumentException("maxCount must be >= 1, was " + maxCount);
        }
        return run("list the dead letters of '" + subscription + "'", () -> jdbi.withHandle(handle -> handle
                .createQuery(sql.listDeadLetters)
                .bind("name", subscription)
                .bind("max", maxCount)
                .map((rows, ctx) -> new DeadLetter(
                        rows.getLong("id"),
                        rows.getString("subscription"),
                        rows.getLong("position"),
                        rows.getObject("event_id", UUID.class),
                        StreamId.of(rows.getString("stream_id")),
                        rows.getString("type"),
                        rows.getInt("attempts"),
                        rows.getString("error"),
                        rows.getTimestamp("failed_at").toInstant()))
                .list()));
    }

    /**
     * Re-delivers dead letter {@code deadLetterId} to its subscription's listener, with the usual retries, on the
     * subscription's thread between batches. The subscription must be consumed by this bus right now.
     *
     * @param deadLetterId the dead letter's {@link DeadLetter#id()}
     * @return a future: true when the listener handled it (the dead letter is deleted), false when it failed again
     *     (the dead letter stays, with its attempts and error updated); it fails with {@link IllegalArgumentException}
     *     for an unknown dead letter and {@link IllegalStateException} when this bus does not consume the subscription
     */
    public CompletableFuture<Boolean> redeliver(long deadLetterId) {
        Optional<String> subscription = run("find dead letter " + deadLetterId, () -> jdbi.withHandle(handle -> handle
                .createQuery(sql.deadLetterSubscription)
                .bind("id", deadLetterId)
                .mapTo(String.class)
                .findOne()));
        if (subscription.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("no dead letter " + deadLetterId));
        }
        DurableWorker worker = durable.get(subscription.get());
        if (worker == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("dead letter " + deadLetterId
                    + " belongs to durable subscription '" + subscription.get() + "', which this bus does not run"));
        }
        return worker.redeliver(deadLetterId);
    }

    /**
     * Deletes dead letter {@code deadLetterId} without re-delivering it.
     *
     * @param deadLetterId the dead letter's {@link DeadLetter#id()}
     * @return whether it existed
     */
    public boolean discardDeadLetter(long deadLetterId) {
        return run("discard dead letter " + deadLetterId, () -> jdbi.withHandle(handle -> handle
                        .createUpdate(sql.discardDeadLetter)
                        .bind("id", deadLetterId)
                        .execute()))
                == 1;
    }

    /**
     * Stops the durable subscriptions (releasing their leases), the dispatch thread and the notification connection;
     * events being dispatched finish first, waiters still pending fail with {@link IllegalStateException}. Closes the
     * store if the bus created it, and the connection pool if {@link EventBuses} opened it. Idempotent.
     */
    @Override
    public void close() {
        synchronized (durable) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (DurableWorker worker : List.copyOf(durable.values())) {
            worker.close();
        }
        leaseKeeper.shutdownNow();
        if (dispatchThread != Thread.currentThread()) {
            try {
                dispatchThread.join(config.flushInterval().toMillis() + 10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        store.removeHeadListener(headListener);
        notifications.close();
        metrics.close();
        dispatcher.failWaiters(new IllegalStateException("the event bus was closed"));
        if (ownsStore) {
            store.close();
        }
        if (ownedResource != null) {
            try {
                ownedResource.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "could not close the bus's connection pool", e);
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the event bus is closed");
        }
    }

    private void dispatchLoop() {
        long backoff = 50;
        long seenReconnects = notifications.reconnects();
        boolean failed = false;
        while (!closed) {
            try {
                long reconnects = notifications.reconnects();
                if (failed || reconnects != seenReconnects) {
                    checkRecentPositions();
                    seenReconnects = reconnects;
                    failed = false;
                }
                long head = notifications.knownHead();
                if (head <= dispatched) {
                    head = notifications.awaitHeadAbove(dispatched, config.flushInterval());
                }
                if (head <= dispatched || closed) {
                    continue;
                }
                if (dispatcher.subscriptionCount() == 0 && !dispatcher.hasWaiters()) {
                    dispatched = head; // nobody listens: events up to the head committed before any listener came
                    continue;
                }
                // Up to the known head: the notification or poll that told us the head already ordered it.
                for (RecordedEvent event : store.readAllUpTo(dispatched + 1, head, config.batchSize(), EventFilter.ALL)) {
                    long start = System.nanoTime();
                    dispatcher.dispatch(event);
                    metrics.processed(BusMetrics.IN_PROCESS, System.nanoTime() - start);
                    dispatched = event.position();
                    recent.add(event);
                }
                backoff = 50;
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                failed = true;
                LOG.log(Level.WARNING, "the event bus could not read the global order; retrying in " + backoff + " ms",
                        e);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
        }
    }

    /**
     * After a lost connection: if a database crash took back positions this bus already dispatched from (see
     * {@link RecentDispatches}), go back to the first changed one, so its events are dispatched again (at-least-once)
     * rather than skipped.
     */
    private void checkRecentPositions() {
        OptionalLong oldest = recent.oldestPosition();
        if (oldest.isEmpty()) {
            return;
        }
        List<RecordedEvent> current = store.readAll(oldest.getAsLong(), recent.size(), EventFilter.ALL);
        OptionalLong changed = recent.firstChanged(current);
        if (changed.isPresent()) {
            LOG.log(Level.WARNING, "positions from " + changed.getAsLong() + " were assigned again after a database"
                    + " failure; dispatching again from there");
            dispatched = changed.getAsLong() - 1;
        }
    }

    private static <T> T run(String action, java.util.function.Supplier<T> work) {
        try {
            return work.get();
        } catch (JdbiException e) {
            throw new EventStoreAccessException("could not " + action + ": " + e.getMessage(), e);
        }
    }

    /** Configures a {@link PostgresEventBus}; each setter checks its value at once. Not thread-safe. */
    public static final class Builder {
        private final DataSource dataSource;
        private final @Nullable PostgresEventStore store;
        private BusConfig.Builder config = BusConfig.builder();
        private String schema = PostgresEventStore.DEFAULT_SCHEMA;
        private EventTypeRegistry types = EventTypeRegistry.rawJson();
        private StreamRouter router = StreamRouter.byType();
        private boolean tracing = DEFAULT_TRACING;
        private HandlerFailureListener failureListener = HandlerFailureListener.logging();
        private @Nullable MeterRegistry meterRegistry;
        private @Nullable AutoCloseable ownedResource;
        private Duration leaseDuration = DEFAULT_LEASE_DURATION;
        private String owner = "pid-" + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8);

        private Builder(DataSource dataSource, @Nullable PostgresEventStore store) {
            this.dataSource = dataSource;
            this.store = store;
        }

        /**
         * Every bus setting at once; the setters below change single ones. Default: {@link BusConfig#defaults()}.
         *
         * @param config the settings
         * @return this builder
         */
        public Builder config(BusConfig config) {
            this.config = requireNonNull(config, "config").toBuilder();
            return this;
        }

        /**
         * See {@link BusConfig.Builder#batchSize(int)}.
         *
         * @param batchSize how many events a durable subscription reads per round trip
         * @return this builder
         */
        public Builder batchSize(int batchSize) {
            config.batchSize(batchSize);
            return this;
        }

        /**
         * See {@link BusConfig.Builder#flushInterval(Duration)}; also the head's polling interval.
         *
         * @param flushInterval how often a durable subscription polls when no notification arrives
         * @return this builder
         */
        public Builder flushInterval(Duration flushInterval) {
            config.flushInterval(flushInterval);
            return this;
        }

        /**
         * See {@link BusConfig.Builder#retryAttempts(int)}.
         *
         * @param retryAttempts how often a failed event is retried before it is dead-lettered
         * @return this builder
         */
        public Builder retryAttempts(int retryAttempts) {
            config.retryAttempts(retryAttempts);
            return this;
        }

        /**
         * See {@link BusConfig.Builder#retryDelay(Duration)}.
         *
         * @param retryDelay the delay before the first retry
         * @return this builder
         */
        public Builder retryDelay(Duration retryDelay) {
            config.retryDelay(retryDelay);
            return this;
        }

        /**
         * See {@link BusConfig.Builder#exponentialBackoff(boolean)}.
         *
         * @param exponentialBackoff whether each further retry doubles the delay
         * @return this builder
         */
        public Builder exponentialBackoff(boolean exponentialBackoff) {
            config.exponentialBackoff(exponentialBackoff);
            return this;
        }

        /**
         * The store's schema, for a bus that creates its store. Default: {@value PostgresEventStore#DEFAULT_SCHEMA}.
         *
         * @param schema the event store schema
         * @return this builder
         * @throws IllegalStateException if the bus was given a store
         */
        public Builder schema(String schema) {
            requireOwnStore("schema");
            PostgresEventStore.builder(dataSource).schema(schema); // validates the name, quoting it
            this.schema = schema;
            return this;
        }

        /**
         * The type registry, for a bus that creates its store. Default: none, payloads read as {@code RawJson}.
         *
         * @param types the registry
         * @return this builder
         * @throws IllegalStateException if the bus was given a store
         */
        public Builder types(EventTypeRegistry types) {
            requireOwnStore("types");
            this.types = requireNonNull(types, "types");
            return this;
        }

        /**
         * Whether an event emitted while a listener of this bus handles another takes the other's correlation id (or,
         * without one, its event id) and its event id as causation id, where it has none of its own. When false,
         * emitted events keep exactly the ids they were given. Default: {@link #DEFAULT_TRACING}, true; {@code
         * tracing} in {@link NexusConfig}.
         *
         * @param tracing whether emitted events inherit correlation and causation ids
         * @return this builder
         */
        public Builder tracing(boolean tracing) {
            this.tracing = tracing;
            return this;
        }

        /**
         * Chooses each emitted event's stream. Default: {@link StreamRouter#byType()}.
         *
         * @param router the router
         * @return this builder
         */
        public Builder streamRouter(StreamRouter router) {
            this.router = requireNonNull(router, "router");
            return this;
        }

        /**
         * Told when an in-process listener throws. Default: {@link HandlerFailureListener#logging()}.
         *
         * @param failureListener the listener
         * @return this builder
         */
        public Builder failureListener(HandlerFailureListener failureListener) {
            this.failureListener = requireNonNull(failureListener, "failureListener");
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
         * How long a durable subscription's lease lasts without renewal: the longest a dead owner blocks a take-over,
         * and the longest one handling may take. At least 1 second. Default: {@link #DEFAULT_LEASE_DURATION}, 10 s.
         *
         * @param leaseDuration the lease's length
         * @return this builder
         * @throws IllegalArgumentException if it is shorter than 1 second
         */
        public Builder leaseDuration(Duration leaseDuration) {
            requireNonNull(leaseDuration, "leaseDuration");
            if (leaseDuration.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("leaseDuration must be at least 1 s, was " + leaseDuration);
            }
            this.leaseDuration = leaseDuration;
            return this;
        }

        /**
         * This process's name in leases (the {@code owner} column). 1 to 200 characters. Default: {@code pid-<pid>-<8
         * random hex digits>}, distinct per bus.
         *
         * @param owner the owner name
         * @return this builder
         * @throws IllegalArgumentException if it is blank or longer than 200 characters
         */
        public Builder owner(String owner) {
            requireNonNull(owner, "owner");
            if (owner.isBlank() || owner.length() > 200) {
                throw new IllegalArgumentException("owner must be 1 to 200 characters, not blank, was '" + owner + "'");
            }
            this.owner = owner;
            return this;
        }

        /** Hands the bus a resource (the pool {@link EventBuses} opened) that it closes last. */
        Builder owning(AutoCloseable resource) {
            this.ownedResource = requireNonNull(resource, "resource");
            return this;
        }

        private void requireOwnStore(String setting) {
            if (store != null) {
                throw new IllegalStateException(setting + " applies only to a bus that creates its store;"
                        + " configure it on the PostgresEventStore instead");
            }
        }

        /**
         * Builds and starts the bus; reads the head of the global order now (in-process listeners start there).
         *
         * @return the running bus; close it to stop it
         */
        public PostgresEventBus build() {
            if (store != null) {
                return new PostgresEventBus(this, store, false);
            }
            PostgresEventStore created = PostgresEventStore.builder(dataSource)
                    .schema(schema)
                    .types(types)
                    .build();
            try {
                return new PostgresEventBus(this, created, true);
            } catch (RuntimeException e) {
                created.close();
                throw e;
            }
        }
    }
}
