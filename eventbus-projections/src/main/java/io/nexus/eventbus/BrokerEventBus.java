package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.internal.AnnotatedHandlers;
import io.nexus.eventbus.internal.BackendSettings;
import io.nexus.eventbus.internal.BusMetrics;
import io.nexus.eventbus.internal.Dispatcher;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The {@code redis} and {@code rabbitmq} backends: an {@link EventBus} whose events travel through a broker, so that
 * several processes share one bus. {@code emit} in one process reaches the matching listeners of every process (its
 * own included), {@link #waitFor} completes with an event emitted by any process, and type patterns route across
 * processes (Redis pattern subscriptions, RabbitMQ topic bindings). The broker is reached through a {@link
 * BrokerTransport}; {@link EventBuses#create(NexusConfig)} builds one from the configuration.
 *
 * <pre>{@code
 * try (BrokerEventBus bus = BrokerEventBus.builder(RedisTransport.builder("redis://localhost:6379").build()).build()) {
 *     bus.subscribe("user.*", event -> welcome(event), 10);   // routed here from every process
 *     bus.emit(NewEvent.of("user.registered", new UserRegistered("ada")));
 * }
 * }</pre>
 *
 * <p><b>Without persistence</b> (no {@link Builder#persistence(PostgresEventBus)}), {@code emit} stamps the event in
 * this process (stream by the {@link StreamRouter}; version and position count this process's emits, from 1, so they
 * are not a global order) and returns once the broker accepted it; it throws {@link BrokerUnavailableException} when
 * the broker cannot be reached. The broker is the only copy: what it does not deliver is gone. Redis Pub/Sub delivers
 * to the processes connected at that moment, so a process that is away (restarting, or cut off while Redis restarts)
 * never sees the events published meanwhile; RabbitMQ keeps them in the process's durable queue (see the transport).
 * Each process listens only to the patterns of its subscriptions and waiters. Events wait in a queue of at most {@link
 * BusConfig#maxQueueSize()} (the transport's delivery blocks when it is full) and {@link BusConfig#workerCount()}
 * threads dispatch them, higher emit priority first (the priority travels in the metadata under {@link
 * PostgresEventBus#PRIORITY_METADATA_KEY}).
 *
 * <p><b>With persistence</b>, the PostgreSQL store is the source of truth: {@code emit} appends to it (through the
 * given {@link PostgresEventBus}) and returns after the commit, and the broker carries committed events only. A relay
 * (the durable subscription {@link Builder#relayName(String)} to {@code *} on the PostgreSQL bus: one process of all
 * that share the name publishes, the others stand by) hands each committed event to the broker in global order and
 * in its stored form ({@link PostgresEventBus#subscribeDurableAsStored}: personal fields encrypted, a message
 * whose personal fields the transport cannot decrypt is read from the store instead),
 * retrying while the broker is down and resuming from its checkpoint after a restart. Every process receives every
 * event from the broker, dispatches in global order from the position the store had when the bus was built, drops
 * what it already dispatched, and reads from the store whatever the broker did not bring (a gap in the positions, or
 * the time the transport was disconnected), so no committed event is missed while the process runs. Emit priority is
 * recorded in the metadata but does not reorder a durable log (as on {@link PostgresEventBus}).
 *
 * <p><b>Listeners</b> of one event run in priority order on one dispatch thread (see {@link EventBus}). A listener
 * that throws is called again {@link BusConfig#retryAttempts()} times, after {@link BusConfig#retryDelay()} (doubled
 * each time with {@link BusConfig#exponentialBackoff()}, at most {@link ProjectionDaemon#MAX_RETRY_DELAY}) on a retry
 * thread, so other events keep flowing; then the event goes to the transport's dead-letter stream or queue with the
 * subscription and the error, and the {@link HandlerFailureListener} is told.
 *
 * <p>Thread-safe. {@link #close()} stops the relay, the transport and the dispatch threads (events already received
 * are dispatched first, up to 10 s), and fails pending waiters with {@link IllegalStateException}.
 */
public final class BrokerEventBus extends DispatchingBus {
    /** Default {@link Builder#relayName(String)}: {@value}. */
    public static final String DEFAULT_RELAY_NAME = "nexus-broker-relay";

    private static final System.Logger LOG = System.getLogger("io.nexus.eventbus");
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    private static final int RECENT_IDS = 10_000;
    private static final TypePattern EVERYTHING = TypePattern.of("*");

    private final BrokerTransport transport;
    private final @Nullable PostgresEventBus store;
    private final @Nullable AutoCloseable ownedResource;
    private final BusConfig config;
    private final StreamRouter router;
    private final boolean tracing;
    private final HandlerFailureListener failures;
    private final BusMetrics metrics;
    private final Clock clock = Clock.systemUTC();
    private final ScheduledExecutorService retries;
    private final Semaphore space;
    private final PriorityBlockingQueue<Inbound> inbox;
    private final List<Thread> workers = new ArrayList<>();
    private final Object lock = new Object();
    private final Map<TypePattern, Integer> listening = new HashMap<>(); // guarded by lock
    private final Map<SubscriptionId, List<TypePattern>> patternsById = new ConcurrentHashMap<>();
    private final Map<StreamId, Long> streamVersions = new HashMap<>(); // guarded by lock
    private final Map<UUID, Boolean> recentIds = new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Boolean> eldest) {
            return size() > RECENT_IDS;
        }
    }; // guarded by itself
    private final AtomicLong arrivals = new AtomicLong();
    private final AtomicLong readFromStore = new AtomicLong();
    private final @Nullable DurableSubscription relay;
    private long lastPosition; // guarded by lock
    private volatile long dispatched; // with persistence: written by the one dispatch thread only
    // With persistence, the dispatch thread only: the ids dispatched at position `dispatched` (an upcaster's split
    // gives
    // one position several events), and whether all of its events were (read from the store, or before the start).
    private final Set<UUID> dispatchedAtPosition = new HashSet<>();
    private boolean positionComplete = true;
    private volatile boolean closed;

    private enum Kind {
        EVENT,
        RECONNECTED,
        STOP
    }

    /** What the transport handed over, in dispatch order: higher priority first, then arrival. */
    private record Inbound(Kind kind, @Nullable RecordedEvent event, int priority, long sequence) {}

    private BrokerEventBus(Builder builder) {
        super(builder.failureListener);
        this.config = builder.config.build();
        this.store = builder.store;
        BackendSettings.checkBroker(config, store != null);
        this.transport = builder.transport;
        this.ownedResource = builder.ownedResource;
        this.router = builder.router;
        this.tracing = builder.tracing;
        this.failures = builder.failureListener;
        this.metrics = BusMetrics.of(config.metricsEnabled() ? builder.meterRegistry : null);
        metrics.inProcessSubscriptions(dispatcher::subscriptionCount);
        this.space = new Semaphore(config.maxQueueSize());
        this.inbox = new PriorityBlockingQueue<>(
                64, Comparator.comparingInt(Inbound::priority).reversed().thenComparingLong(Inbound::sequence));
        this.retries = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "nexus-broker-bus-retries");
            thread.setDaemon(true);
            return thread;
        });
        transport.start(new Receiver());
        DurableSubscription started = null;
        try {
            if (store != null) {
                // Listen before reading the head: an event committed after the head was read is relayed after this.
                transport.listen(EVERYTHING);
                this.dispatched = store.store().headPosition();
                // As stored: personal fields leave encrypted, and no type stalls the relay (see
                // subscribeDurableAsStored).
                started = store.subscribeDurableAsStored(builder.relayName, this::publishUntilAccepted);
            }
        } catch (RuntimeException e) {
            retries.shutdownNow();
            transport.close();
            throw e;
        }
        this.relay = started;
        int threads = store != null ? 1 : config.workerCount(); // with persistence, one thread keeps global order
        for (int i = 0; i < threads; i++) {
            Thread worker = new Thread(this::work, "nexus-broker-bus-" + (i + 1));
            worker.setDaemon(true);
            workers.add(worker);
        }
        workers.forEach(Thread::start);
    }

    /**
     * A builder for a bus on {@code transport}, which the bus starts and closes.
     *
     * @param transport the broker connection, not yet started
     * @return a builder with every other setting at its default
     */
    public static Builder builder(BrokerTransport transport) {
        return new Builder(requireNonNull(transport, "transport"));
    }

    /** {@return the configuration this bus was built with} */
    public BusConfig config() {
        return config;
    }

    /** {@return whether events are kept in the PostgreSQL store first} */
    public boolean persistent() {
        return store != null;
    }

    /** {@return a description of the broker, without credentials} */
    public String broker() {
        return transport.describe();
    }

    /**
     * With persistence, how many events this process read from the store because the broker did not bring them (a
     * broker restart, a lost connection); 0 without persistence.
     *
     * @return the number of events read from the store so far
     */
    public long eventsReadFromStore() {
        return readFromStore.get();
    }

    /**
     * Emits {@code event} to every process of the bus; see the class comment for what happens with and without
     * persistence.
     *
     * @throws BrokerUnavailableException without persistence, if the broker did not accept it; nothing was emitted
     * @throws io.nexus.eventstore.core.EventStoreException with persistence, if the append failed
     */
    @Override
    public void emit(NewEvent event, int priority) {
        requireNonNull(event, "event");
        NewEvent stamped = tracing ? Dispatcher.inheritContext(event) : event;
        checkOpen();
        if (store != null) {
            store.emit(stamped, priority);
            metrics.emitted(stamped.type());
            return;
        }
        if (priority != DEFAULT_PRIORITY) {
            Map<String, String> metadata = new HashMap<>(stamped.metadata());
            metadata.put(PostgresEventBus.PRIORITY_METADATA_KEY, Integer.toString(priority));
            stamped = stamped.withMetadata(metadata);
        }
        StreamId stream = requireNonNull(router.streamFor(stamped), "the stream router returned null");
        RecordedEvent recorded;
        synchronized (lock) {
            long version = streamVersions.merge(stream, 1L, Long::sum);
            recorded = new RecordedEvent(
                    stream,
                    version,
                    ++lastPosition,
                    stamped.eventId(),
                    stamped.type(),
                    stamped.data(),
                    stamped.metadata(),
                    stamped.correlationId(),
                    stamped.causationId(),
                    stamped.source(),
                    clock.instant());
        }
        transport.publish(recorded);
        metrics.emitted(stamped.type());
    }

    @Override
    public SubscriptionId subscribe(String typePattern, EventListener listener, int priority) {
        TypePattern pattern = TypePattern.of(typePattern);
        requireNonNull(listener, "listener");
        return subscribeAll(List.of(new Dispatcher.Registration(pattern, event -> true, listener, priority)))
                .get(0);
    }

    @Override
    public List<SubscriptionId> register(Object handlers) {
        return subscribeAll(AnnotatedHandlers.scan(handlers));
    }

    private List<SubscriptionId> subscribeAll(List<Dispatcher.Registration> registrations) {
        checkOpen();
        List<TypePattern> patterns = new ArrayList<>();
        List<Retrying> listeners = new ArrayList<>();
        List<Dispatcher.Registration> wrapped = new ArrayList<>();
        for (Dispatcher.Registration registration : registrations) {
            Retrying retrying = new Retrying(registration.listener(), registration.pattern());
            listeners.add(retrying);
            patterns.add(registration.pattern());
            wrapped.add(new Dispatcher.Registration(
                    registration.pattern(), registration.condition(), retrying, registration.priority()));
        }
        listen(patterns); // routed here before the listeners exist: an event emitted after this call reaches them
        List<SubscriptionId> ids = dispatcher.subscribe(wrapped);
        for (int i = 0; i < ids.size(); i++) {
            listeners.get(i).id = ids.get(i);
            patternsById.put(ids.get(i), List.of(patterns.get(i)));
        }
        return ids;
    }

    @Override
    public boolean unsubscribe(SubscriptionId id) {
        boolean removed = dispatcher.unsubscribe(id);
        List<TypePattern> patterns = patternsById.remove(id);
        if (patterns != null) {
            unlisten(patterns);
        }
        return removed;
    }

    @Override
    @SuppressWarnings("FutureReturnValueIgnored") // whenComplete only releases the pattern, it never fails
    public CompletableFuture<RecordedEvent> waitFor(String typePattern, Duration timeout) {
        TypePattern pattern = TypePattern.of(typePattern);
        checkOpen();
        listen(List.of(pattern));
        CompletableFuture<RecordedEvent> future;
        try {
            future = dispatcher.waitFor(pattern, timeout);
        } catch (RuntimeException e) {
            unlisten(List.of(pattern));
            throw e;
        }
        future.whenComplete((event, error) -> unlisten(List.of(pattern)));
        return future;
    }

    /** Without persistence, asks the transport to route each new pattern here; with it, everything already comes. */
    private void listen(List<TypePattern> patterns) {
        if (store != null) {
            return;
        }
        synchronized (lock) {
            List<TypePattern> added = new ArrayList<>();
            try {
                for (TypePattern pattern : patterns) {
                    if (listening.getOrDefault(pattern, 0) == 0) {
                        transport.listen(pattern);
                    }
                    listening.merge(pattern, 1, Integer::sum);
                    added.add(pattern);
                }
            } catch (RuntimeException e) {
                unlistenLocked(added);
                throw e;
            }
        }
    }

    private void unlisten(List<TypePattern> patterns) {
        if (store != null) {
            return;
        }
        synchronized (lock) {
            unlistenLocked(patterns);
        }
    }

    private void unlistenLocked(List<TypePattern> patterns) {
        for (TypePattern pattern : patterns) {
            Integer left = listening.merge(pattern, -1, Integer::sum);
            if (left != null && left <= 0) {
                listening.remove(pattern);
                if (!closed) {
                    try {
                        transport.unlisten(pattern);
                    } catch (RuntimeException e) {
                        LOG.log(
                                Level.WARNING,
                                "could not stop listening to '" + pattern + "'; its events are"
                                        + " still routed here and dropped",
                                e);
                    }
                }
            }
        }
    }

    /** The relay's listener: publishes a committed event, retrying while the broker is down, until the bus closes. */
    private void publishUntilAccepted(RecordedEvent event) throws InterruptedException {
        long backoff = 50;
        boolean warned = false;
        while (true) {
            try {
                transport.publish(event);
                if (warned) {
                    LOG.log(Level.INFO, "the relay reached " + transport.describe() + " again");
                }
                return;
            } catch (RuntimeException e) {
                if (closed) {
                    throw e; // the subscription stops with the bus; its checkpoint stays before this event
                }
                if (!warned) {
                    LOG.log(
                            Level.WARNING,
                            "the relay cannot publish to " + transport.describe() + "; retrying until it can: "
                                    + e.getMessage());
                    warned = true;
                }
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
        }
    }

    /** What the transport calls, on its own threads. */
    private final class Receiver implements BrokerTransport.Receiver {
        @Override
        public void received(RecordedEvent event) {
            if (store == null && !firstSeen(event.eventId())) {
                return; // the broker delivered it twice (a pattern overlap, or a redelivery after a lost ack)
            }
            int priority = store == null ? priorityOf(event) : DEFAULT_PRIORITY;
            if (acquireSpace()) {
                inbox.add(new Inbound(Kind.EVENT, event, priority, arrivals.incrementAndGet()));
            }
        }

        @Override
        public void reconnected() {
            if (store == null) {
                LOG.log(
                        Level.WARNING,
                        "the bus reconnected to " + transport.describe() + "; without persistence, events published"
                                + " while it was disconnected may be lost to this process");
                return;
            }
            // Behind every event already received, before the ones received from now on.
            inbox.add(new Inbound(Kind.RECONNECTED, null, DEFAULT_PRIORITY, arrivals.incrementAndGet()));
        }
    }

    private boolean firstSeen(UUID eventId) {
        synchronized (recentIds) {
            return recentIds.put(eventId, Boolean.TRUE) == null;
        }
    }

    private static int priorityOf(RecordedEvent event) {
        String value = event.metadata().get(PostgresEventBus.PRIORITY_METADATA_KEY);
        if (value == null) {
            return DEFAULT_PRIORITY;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return DEFAULT_PRIORITY;
        }
    }

    /** Waits for room in the inbox: back-pressure on the transport. False when the bus closed meanwhile. */
    private boolean acquireSpace() {
        try {
            while (!closed) {
                if (space.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private void work() {
        while (true) {
            Inbound next;
            try {
                next = inbox.take();
            } catch (InterruptedException e) {
                return;
            }
            if (next.kind() == Kind.STOP) {
                return;
            }
            RecordedEvent event = next.event();
            if (event != null) {
                space.release();
            }
            if (store == null) {
                if (event != null) {
                    dispatchOne(event);
                }
            } else if (!dispatchInOrder(next.kind(), event)) {
                return;
            }
        }
    }

    /**
     * With persistence: dispatches {@code event} after whatever the broker skipped before it (read from the store),
     * or, after a reconnection, everything up to the store's head. Retries store reads until they succeed; false when
     * the bus closed meanwhile.
     */
    private boolean dispatchInOrder(Kind kind, @Nullable RecordedEvent event) {
        PostgresEventBus durable = requireNonNull(store);
        long backoff = 50;
        while (true) {
            try {
                if (kind == Kind.RECONNECTED) {
                    catchUp(durable, durable.store().headPosition());
                } else if (event != null && notYetDispatched(event)) {
                    catchUp(durable, event.position() - 1);
                    dispatchOne(event.isRedacted() ? fromStore(durable, event) : event);
                    positionComplete = false; // the broker may bring more parts of it
                }
                return true;
            } catch (RuntimeException e) {
                if (closed) {
                    return false;
                }
                LOG.log(
                        Level.WARNING,
                        "the bus could not read the store to fill a gap; retrying in " + backoff + " ms",
                        e);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    return false;
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
        }
    }

    private boolean notYetDispatched(RecordedEvent event) {
        return event.position() > dispatched
                || (event.position() == dispatched
                        && !positionComplete
                        && !dispatchedAtPosition.contains(event.eventId()));
    }

    /**
     * The store's reading of {@code event}, whose personal fields came masked (a transport without the keys, or an
     * erased subject): the store decrypts with its own keys. The event itself when the store no longer has it.
     */
    private RecordedEvent fromStore(PostgresEventBus durable, RecordedEvent event) {
        for (RecordedEvent stored :
                durable.store().readAllUpTo(event.position(), event.position(), config.batchSize(), EventFilter.ALL)) {
            if (stored.eventId().equals(event.eventId())) {
                return stored;
            }
        }
        return event;
    }

    private void catchUp(PostgresEventBus durable, long upTo) {
        while (dispatched < upTo) {
            List<RecordedEvent> page =
                    durable.store().readAllUpTo(dispatched + 1, upTo, config.batchSize(), EventFilter.ALL);
            if (page.isEmpty()) {
                dispatched = upTo; // the positions left are gone (retention): nothing to dispatch
                dispatchedAtPosition.clear();
                positionComplete = true;
                return;
            }
            for (RecordedEvent missed : page) {
                readFromStore.incrementAndGet();
                dispatchOne(missed);
            }
            positionComplete = true; // a page holds every part of its last position
        }
    }

    private void dispatchOne(RecordedEvent event) {
        long start = System.nanoTime();
        dispatcher.dispatch(event);
        metrics.processed(BusMetrics.IN_PROCESS, event.type(), System.nanoTime() - start);
        if (store != null) {
            if (event.position() != dispatched) {
                dispatchedAtPosition.clear();
                dispatched = event.position();
            }
            dispatchedAtPosition.add(event.eventId());
        }
    }

    /** A listener's retries, then its dead letter: the listener is called again on the retry thread. */
    private final class Retrying implements EventListener {
        private final EventListener listener;
        private final TypePattern pattern;
        private volatile @Nullable SubscriptionId id;

        Retrying(EventListener listener, TypePattern pattern) {
            this.listener = listener;
            this.pattern = pattern;
        }

        @Override
        public void handle(RecordedEvent event) {
            try {
                listener.handle(event);
            } catch (Exception e) {
                failed(event, e, 1);
            }
        }

        private String label() {
            SubscriptionId current = id;
            return (current == null ? "subscription" : current.toString()) + " (" + pattern + ")";
        }

        @SuppressWarnings("FutureReturnValueIgnored") // the task reports its own failures
        private void failed(RecordedEvent event, Exception error, int attempt) {
            SubscriptionId current = id;
            if (attempt > config.retryAttempts() || closed) {
                deadLetter(event, error);
                return;
            }
            metrics.retried(BusMetrics.IN_PROCESS); // not per id: one meter per subscription would never end
            try {
                retries.schedule(
                        () -> {
                            if (current != null && !patternsById.containsKey(current)) {
                                return; // unsubscribed meanwhile
                            }
                            try {
                                Dispatcher.handleAsCurrent(event, listener);
                            } catch (Exception again) {
                                failed(event, again, attempt + 1);
                            }
                        },
                        delay(attempt).toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                deadLetter(event, error);
            }
        }

        private void deadLetter(RecordedEvent event, Exception error) {
            try {
                transport.deadLetter(event, label(), error);
                metrics.deadLettered(BusMetrics.IN_PROCESS);
            } catch (RuntimeException e) {
                e.addSuppressed(error);
                LOG.log(Level.ERROR, "could not dead-letter event " + event.eventId() + " of " + label(), e);
            }
            SubscriptionId current = id;
            if (current != null) {
                try {
                    failures.onFailure(current, event, error);
                } catch (RuntimeException e) {
                    LOG.log(Level.ERROR, "the handler failure listener threw", e);
                }
            }
        }
    }

    private Duration delay(int attempt) {
        Duration delay = config.retryDelay();
        if (config.exponentialBackoff()) {
            for (int i = 1; i < attempt && delay.compareTo(ProjectionDaemon.MAX_RETRY_DELAY) < 0; i++) {
                delay = delay.multipliedBy(2);
            }
        }
        return delay.compareTo(ProjectionDaemon.MAX_RETRY_DELAY) > 0 ? ProjectionDaemon.MAX_RETRY_DELAY : delay;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the event bus is closed");
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (relay != null) {
            relay.close();
        }
        transport.close();
        for (int i = 0; i < workers.size(); i++) {
            inbox.add(new Inbound(Kind.STOP, null, Integer.MIN_VALUE, Long.MAX_VALUE));
        }
        joinWorkers(workers, SHUTDOWN_TIMEOUT);
        retries.shutdownNow();
        metrics.close();
        dispatcher.failWaiters(new IllegalStateException("the event bus was closed"));
        if (ownedResource != null) {
            try {
                ownedResource.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "could not close what the bus owns", e);
            }
        }
    }

    /** Configures a {@link BrokerEventBus}; each setter checks its value at once. Not thread-safe. */
    public static final class Builder extends BusBuilder<Builder> {
        private final BrokerTransport transport;
        private @Nullable PostgresEventBus store;
        private String relayName = DEFAULT_RELAY_NAME;
        private @Nullable AutoCloseable ownedResource;

        private Builder(BrokerTransport transport) {
            this.transport = transport;
        }

        /**
         * Keeps every event in the PostgreSQL store of {@code store} first and has the broker carry committed events
         * only; see the class comment. The caller keeps and closes {@code store}, after this bus. Default: none.
         *
         * @param store the PostgreSQL bus whose store is the source of truth
         * @return this builder
         */
        public Builder persistence(PostgresEventBus store) {
            this.store = requireNonNull(store, "store");
            return this;
        }

        /**
         * The name of the relay's durable subscription, with persistence: every process of one bus must use the same
         * name, so that exactly one of them publishes each committed event. Default: {@value #DEFAULT_RELAY_NAME}.
         *
         * @param relayName a subscription name
         * @return this builder
         * @throws IllegalArgumentException if it is not a valid subscription name
         */
        public Builder relayName(String relayName) {
            this.relayName = SubscriptionName.of(relayName).value();
            return this;
        }

        /** Hands the bus what {@link EventBuses} opened for it (the PostgreSQL bus), closed after the bus. */
        Builder owning(AutoCloseable resource) {
            this.ownedResource = requireNonNull(resource, "resource");
            return this;
        }

        /**
         * Starts the transport and, with persistence, the relay; then the bus.
         *
         * @return the running bus; close it to stop it
         * @throws BrokerUnavailableException if the broker cannot be reached
         * @throws IllegalArgumentException if a setting does not apply to this bus (named in the message)
         */
        public BrokerEventBus build() {
            return new BrokerEventBus(this);
        }
    }
}
