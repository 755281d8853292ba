package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.nexus.eventbus.internal.BackendSettings;
import io.nexus.eventbus.internal.BusMetrics;
import io.nexus.eventbus.internal.CheckpointedConsumer;
import io.nexus.eventbus.internal.ConsumerScheduler;
import io.nexus.eventbus.internal.Dispatcher;
import io.nexus.eventbus.internal.HeadSource;
import io.nexus.eventbus.internal.LeasePolicy;
import io.nexus.eventbus.internal.PerEventDelivery;
import io.nexus.eventbus.internal.RecentDispatches;
import io.nexus.eventbus.internal.StoreHeadSource;
import io.nexus.eventbus.internal.SubscriptionRows;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.AutoCommitDataSource;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;

/**
 * The {@code postgres} backend: a durable {@link EventBus} on the PostgreSQL event store. {@code emit} appends to the
 * store; listeners receive events only after they committed, in the store's global order, read in batches of {@link
 * BusConfig#batchSize()} and woken by the store's {@link PostgresEventStore#watchHead head watch}: one tracker per
 * store and process, shared by every bus and daemon on it (notifications are a hint only: the head is also polled
 * every {@link BusConfig#flushInterval()}; where notifications come from is the store's {@link
 * io.nexus.eventstore.jdbc.HeadNotifications}).
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
 * BusConfig#exponentialBackoff()}, at most {@link ProjectionDaemon#MAX_RETRY_DELAY}, as for projections), then recorded in {@code dead_letters} with its error and attempt count, and the
 * subscription goes on with the next event, <em>including later events of the same stream</em>: a dead letter never
 * blocks a subscription, so a listener must tolerate having missed an earlier event of a stream until it is
 * re-delivered ({@link #redeliver(long)}), which then arrives out of stream order. See {@code
 * doc/adr/0004-dead-letters-and-stream-order.md}. The latest failure is kept in the subscription's {@code last_error}.
 *
 * <p>Durable subscriptions run on the engine that also runs {@link ProjectionDaemon projections}: one lease, checkpoint
 * compare-and-set, head wait, batch loop and back-off; only the delivery differs (one event at a time, with retries
 * and dead letters, and the checkpoint advanced after the batch).
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
 * retry settings and {@link BusConfig#metricsEnabled()}. It refuses a {@link BusConfig#maxQueueSize()} or {@link
 * BusConfig#emitTimeout()} other than the default (emit is a synchronous append: the database is the queue), and does
 * not use {@link BusConfig#workerCount()}, which sizes a {@link ProjectionDaemon} given the same configuration
 * (in-process listeners run on one dispatch thread to keep global order; each durable subscription has a thread of
 * its own).
 *
 * <p><b>Metrics</b> (with {@link Builder#meterRegistry(MeterRegistry)}): {@code nexus.bus.events.emitted}, {@code
 * nexus.bus.events.processed} and {@code nexus.bus.processing.time} (tag {@code subscription}, {@code in-process} for
 * in-process listeners, and tag {@code type}, the event type: one meter per type, so type names must not be built
 * from data), {@code nexus.bus.retries}, {@code nexus.bus.dead.letters}, {@code
 * nexus.bus.subscription.lag} (per durable subscription) and {@code nexus.bus.subscriptions.active}. The SQL view
 * {@code subscription_status} shows every subscription's checkpoint, head, lag, owner, lease and last error; {@link
 * #status(String)} reads the same for one durable subscription.
 *
 * <p>Thread-safe. Database failures in {@code emit} and the dead-letter methods throw {@link
 * io.nexus.eventstore.core.EventStoreException}s; the bus's own threads retry with backoff.
 */
public final class PostgresEventBus extends DispatchingBus {
    /** Default {@link Builder#leaseDuration(Duration)}: 10 seconds, as for projections. */
    public static final Duration DEFAULT_LEASE_DURATION = LeasePolicy.DEFAULT_DURATION;
    /** Default {@link Builder#tracing(boolean)}: {@value}, as {@link NexusConfig#DEFAULT_TRACING}. */
    public static final boolean DEFAULT_TRACING = NexusConfig.DEFAULT_TRACING;
    /** The metadata key under which {@link #emit(NewEvent, int)} records a non-default priority. */
    public static final String PRIORITY_METADATA_KEY = "nexus.priority";
    /** The longest durable subscription name accepted. */
    public static final int MAX_SUBSCRIPTION_NAME_LENGTH = SubscriptionName.MAX_LENGTH;

    private static final System.Logger LOG = System.getLogger("io.nexus.eventbus");
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    private final BusConfig config;
    private final PostgresEventStore store;
    private final boolean ownsStore;
    private final @Nullable AutoCloseable ownedResource;
    private final Jdbi jdbi;
    private final SubscriptionRows rows;
    private final DeadLetters deadLetters;
    private final StreamRouter router;
    private final boolean tracing;
    private final BusMetrics metrics;
    private final LeasePolicy lease;
    private final HeadSource heads;
    private final Map<String, PerEventDelivery> durable = new ConcurrentHashMap<>();
    private final Thread dispatchThread;
    private final ConsumerScheduler scheduler;
    private volatile long dispatched;
    private final RecentDispatches recent = new RecentDispatches();
    private volatile boolean closed;

    private PostgresEventBus(Builder builder, PostgresEventStore store, boolean ownsStore) {
        super(builder.failureListener);
        this.config = builder.config.build();
        this.store = store;
        this.ownsStore = ownsStore;
        this.ownedResource = builder.ownedResource;
        this.jdbi = Jdbi.create(builder.dataSource);
        this.rows = new SubscriptionRows(store.schema());
        this.deadLetters = new DeadLetters(jdbi, rows, name -> Optional.ofNullable(durable.get(name)));
        this.router = builder.router;
        this.tracing = builder.tracing;
        this.metrics = BusMetrics.of(config.metricsEnabled() ? builder.meterRegistry : null);
        this.lease = new LeasePolicy(builder.owner, builder.leaseDuration);
        metrics.inProcessSubscriptions(dispatcher::subscriptionCount);
        this.dispatched = store.headPosition();
        this.heads = StoreHeadSource.open(store, config.flushInterval());
        // A thread per busy subscription, as before: a slow listener never holds up another subscription.
        AtomicInteger threads = new AtomicInteger();
        this.scheduler = new ConsumerScheduler(
                "nexus-lease-keeper-" + store.schema(),
                heads,
                lease,
                config.flushInterval(),
                Executors.newCachedThreadPool(task -> {
                    Thread thread = new Thread(task, "nexus-subscription-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }));
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
        return lease.owner();
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
        return subscribeDurable(name, typePattern, categories, listener, store);
    }

    /**
     * Starts the durable subscription {@code name} to every event, handing the listener each event in its stored form
     * ({@link PostgresEventStore#storedForm()}): the payload as {@code RawJson} with its personal fields still
     * encrypted, in the schema version it was written in. For relays that carry events out of this process (the broker
     * relays use it): personal data never leaves in the clear, and no type this process cannot read stalls it. A
     * consumer decrypts with the store's keys and upcasts with its own registry. Otherwise as {@link
     * #subscribeDurable(String, String, Set, EventListener)}.
     *
     * @param name the subscription's name; keep it across restarts, so it resumes from its checkpoint
     * @param listener handles each event, as stored
     * @return the running subscription
     * @throws IllegalArgumentException if the name is malformed, or a projection has the name
     * @throws IllegalStateException if this bus already runs a subscription of that name, or is closed
     */
    public DurableSubscription subscribeDurableAsStored(String name, EventListener listener) {
        return subscribeDurable(name, "*", Set.of(), listener, store.storedForm());
    }

    private DurableSubscription subscribeDurable(
            String name, String typePattern, Set<String> categories, EventListener listener, EventStore readFrom) {
        SubscriptionName checked = SubscriptionName.of(name);
        TypePattern pattern = TypePattern.of(typePattern);
        for (String category : requireNonNull(categories, "categories")) {
            if (requireNonNull(category, "category").isBlank() || category.contains("-")) {
                throw new IllegalArgumentException(
                        "a category is the part of a stream id before the first '-', was '" + category + "'");
            }
        }
        requireNonNull(listener, "listener");
        checkOpen();
        synchronized (durable) {
            if (durable.containsKey(name)) {
                throw new IllegalStateException("durable subscription '" + name + "' already runs on this bus");
            }
            PerEventDelivery delivery =
                    new PerEventDelivery(pattern, categories, listener, config, readFrom, rows, metrics);
            CheckpointedConsumer consumer = new CheckpointedConsumer(
                    checked,
                    SubscriptionStatus.Kind.SUBSCRIPTION,
                    delivery,
                    readFrom,
                    jdbi,
                    rows,
                    heads,
                    lease,
                    config);
            DeadLetters.run(
                    "start durable subscription '" + name + "'",
                    () -> delivery.start(consumer, scheduler, () -> durable.remove(name)));
            durable.put(name, delivery);
            return delivery;
        }
    }

    /**
     * The status of durable subscription {@code name} as its row says (checkpoint, head, lag, owner, lease, last
     * error), whichever process consumes it; empty if no durable subscription of that name exists in the schema.
     *
     * @param name the durable subscription's name
     * @return its status, or empty if there is no such durable subscription
     * @throws IllegalArgumentException if the name is malformed
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database could not be read
     */
    public Optional<SubscriptionStatus> status(String name) {
        SubscriptionName checked = SubscriptionName.of(name);
        return DeadLetters.run("read the status of '" + name + "'", () -> {
            long head = store.headPosition();
            return jdbi.inTransaction(handle -> rows.read(handle, checked.value()))
                    .filter(row -> row.kind() == SubscriptionStatus.Kind.SUBSCRIPTION)
                    .map(row -> row.toStatus(head));
        });
    }

    /** {@return the dead letters of this bus's schema: list, re-deliver and discard them} */
    public DeadLetters deadLetters() {
        return deadLetters;
    }

    /**
     * The dead letters of subscription {@code subscription}, oldest position first, at most {@code maxCount}; see
     * {@link DeadLetters#list}.
     *
     * @param subscription the durable subscription's name
     * @param maxCount the most dead letters to return
     * @return the dead letters
     * @throws IllegalArgumentException if {@code maxCount} is below 1
     */
    public List<DeadLetter> deadLetters(String subscription, int maxCount) {
        return deadLetters.list(subscription, maxCount);
    }

    /**
     * Re-delivers dead letter {@code deadLetterId} to its subscription's listener; see {@link DeadLetters#retry}.
     *
     * @param deadLetterId the dead letter's {@link DeadLetter#id()}
     * @return a future: true when the listener handled it (the dead letter is deleted), false when it failed again
     *     (the dead letter stays, with its attempts and error updated); it fails with {@link IllegalArgumentException}
     *     for an unknown dead letter and {@link IllegalStateException} when this bus does not consume the subscription
     */
    public CompletableFuture<Boolean> redeliver(long deadLetterId) {
        return deadLetters.retry(deadLetterId);
    }

    /**
     * Deletes dead letter {@code deadLetterId} without re-delivering it; see {@link DeadLetters#discard}.
     *
     * @param deadLetterId the dead letter's {@link DeadLetter#id()}
     * @return whether it existed
     */
    public boolean discardDeadLetter(long deadLetterId) {
        return deadLetters.discard(deadLetterId);
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
        for (PerEventDelivery subscription : List.copyOf(durable.values())) {
            subscription.close();
        }
        scheduler.close();
        if (dispatchThread != Thread.currentThread()) {
            try {
                dispatchThread.join(config.flushInterval().toMillis() + 10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        heads.close();
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
        long seenReconnects = heads.reconnects();
        boolean failed = false;
        while (!closed) {
            try {
                long reconnects = heads.reconnects();
                if (failed || reconnects != seenReconnects) {
                    checkRecentPositions();
                    seenReconnects = reconnects;
                    failed = false;
                }
                long head = heads.knownHead();
                if (head <= dispatched) {
                    head = heads.awaitHeadAbove(dispatched, config.flushInterval());
                }
                if (head <= dispatched || closed) {
                    continue;
                }
                if (dispatcher.subscriptionCount() == 0 && !dispatcher.hasWaiters()) {
                    dispatched = head; // nobody listens: events up to the head committed before any listener came
                    continue;
                }
                // Up to the known head: the notification or poll that told us the head already ordered it.
                for (RecordedEvent event :
                        store.readAllUpTo(dispatched + 1, head, config.batchSize(), EventFilter.ALL)) {
                    long start = System.nanoTime();
                    dispatcher.dispatch(event);
                    metrics.processed(BusMetrics.IN_PROCESS, event.type(), System.nanoTime() - start);
                    dispatched = event.position();
                    recent.add(event);
                }
                backoff = 50;
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                failed = true;
                LOG.log(
                        Level.WARNING,
                        "the event bus could not read the global order; retrying in " + backoff + " ms",
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
            LOG.log(
                    Level.WARNING,
                    "positions from " + changed.getAsLong() + " were assigned again after a database"
                            + " failure; dispatching again from there");
            dispatched = changed.getAsLong() - 1;
        }
    }

    /** Configures a {@link PostgresEventBus}; each setter checks its value at once. Not thread-safe. */
    public static final class Builder extends BusBuilder<Builder> {
        private final DataSource dataSource;
        private final @Nullable PostgresEventStore store;
        private String schema = PostgresEventStore.DEFAULT_SCHEMA;
        private EventTypeRegistry types = EventTypeRegistry.rawJson();
        private @Nullable AutoCloseable ownedResource;
        private Duration leaseDuration = DEFAULT_LEASE_DURATION;
        private String owner = LeasePolicy.defaultOwner();

        private Builder(DataSource dataSource, @Nullable PostgresEventStore store) {
            this.dataSource = AutoCommitDataSource.from(dataSource); // the bus's own writes commit on any pool
            this.store = store;
        }

        /**
         * Every bus setting at once; the setters below change single ones. Default: {@link BusConfig#defaults()}.
         *
         * @param config the settings
         * @return this builder
         * @throws IllegalArgumentException if {@code maxQueueSize} or {@code emitTimeout} differs from its default
         */
        @Override
        public Builder config(BusConfig config) {
            BackendSettings.checkPostgres(requireNonNull(config, "config"));
            return super.config(config);
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
         * How long a durable subscription's lease lasts without renewal: the longest a dead owner blocks a take-over,
         * and the longest one handling may take. At least {@link ProjectionDaemon#MIN_LEASE_DURATION}. Default: {@link
         * #DEFAULT_LEASE_DURATION}, 10 s, as for projections.
         *
         * @param leaseDuration the lease's length
         * @return this builder
         * @throws IllegalArgumentException if it is shorter than {@link ProjectionDaemon#MIN_LEASE_DURATION}
         */
        public Builder leaseDuration(Duration leaseDuration) {
            this.leaseDuration = LeasePolicy.checkDuration(leaseDuration);
            return this;
        }

        /**
         * This process's name in leases (the {@code owner} column). 1 to 200 characters, not blank. Default: {@code
         * <pid>@<host>/<8 random hex digits>}, distinct per bus, the same format as {@link
         * ProjectionDaemon.Builder#owner(String)}.
         *
         * @param owner the owner name
         * @return this builder
         * @throws IllegalArgumentException if it is blank or longer than 200 characters
         */
        public Builder owner(String owner) {
            this.owner = LeasePolicy.checkOwner(owner);
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
