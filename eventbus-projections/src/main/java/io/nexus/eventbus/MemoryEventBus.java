package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.internal.BackendSettings;
import io.nexus.eventbus.internal.BusMetrics;
import io.nexus.eventbus.internal.Dispatcher;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The {@code memory} backend: an in-process {@link EventBus} that keeps nothing. Events wait in a bounded priority
 * queue and {@link BusConfig#workerCount()} threads dispatch them.
 *
 * <pre>{@code
 * try (EventBus bus = MemoryEventBus.builder().maxQueueSize(1_000).build()) {
 *     bus.subscribe("user.*", event -> welcome(event.dataAs(UserRegistered.class)), 10);
 *     bus.emit(NewEvent.of(new UserRegistered("ada")));
 * }
 * }</pre>
 *
 * <p><b>Recorded events.</b> The bus stamps each accepted event itself, in emit order, without storing it: its stream
 * is the {@link StreamRouter}'s choice (default: one stream per type, named after the type), its stream version counts
 * the events emitted to that stream (from 1), its position counts every event this bus accepted (from 1), and its
 * recorded-at time is the acceptance time. Positions and versions are gap-free among accepted events and start again
 * with each bus; a rejected emit takes no number. Only the per-stream counters are kept, so memory does not grow with
 * the number of events.
 *
 * <p><b>Queue and order.</b> The queue holds at most {@link BusConfig#maxQueueSize()} events waiting for dispatch (an
 * event leaves it when a worker takes it). Workers take the highest priority first, and equal priorities in emit order.
 * With one worker (the default) events are handled strictly in that order, one at a time. With more than one, several
 * events, also of one type, are handled at once, so a listener must be thread-safe and may see a later event before an
 * earlier one has finished.
 *
 * <p><b>Back-pressure.</b> When the queue is full, {@code emit} blocks up to {@link BusConfig#emitTimeout()} for space,
 * then throws {@link BusOverloadedException}; events are never dropped. A listener that emits into a full queue of a
 * single-worker bus waits for space only it could make, so it fails after the timeout: size the queue for bursts.
 *
 * <p><b>Failures.</b> A listener's exception goes to the {@link HandlerFailureListener} once; this backend does not
 * retry. It reads no store either, so {@link BusConfig#retryAttempts()}, {@link BusConfig#retryDelay()}, {@link
 * BusConfig#exponentialBackoff()}, {@link BusConfig#batchSize()} and {@link BusConfig#flushInterval()} (they apply to
 * durable subscriptions) must stay at their defaults: {@link Builder#build()} refuses other values rather than ignore
 * them.
 *
 * <p><b>Closing.</b> {@link #close()} refuses new events, lets the workers dispatch every event already accepted
 * (events emitted by listeners meanwhile are refused), waits up to the shutdown timeout for them, then interrupts any
 * that are still busy; waiters still pending fail with {@link IllegalStateException}. Workers are daemon threads.
 *
 * <p>Thread-safe.
 */
public final class MemoryEventBus extends DispatchingBus {
    /** Default {@link Builder#shutdownTimeout(Duration)}: 10 seconds. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
    /** Default {@link Builder#tracing(boolean)}: {@value}, as {@link NexusConfig#DEFAULT_TRACING}. */
    public static final boolean DEFAULT_TRACING = NexusConfig.DEFAULT_TRACING;

    private static final Comparator<Queued> QUEUE_ORDER =
            Comparator.comparingInt(Queued::priority).reversed().thenComparingLong(Queued::sequence);

    private final BusConfig config;
    private final StreamRouter router;
    private final boolean tracing;
    private final Duration shutdownTimeout;
    private final Clock clock;
    private final BusMetrics metrics;
    private final Runnable removeQueueGauge;
    private final Semaphore space;
    private final PriorityBlockingQueue<Queued> queue;
    private final List<Thread> workers = new ArrayList<>();
    private final Object lock = new Object();
    private final Map<StreamId, Long> streamVersions = new HashMap<>(); // guarded by lock
    private long lastPosition; // guarded by lock
    private boolean closed; // guarded by lock

    /** An event waiting for dispatch, or (event null) the signal for one worker to stop. */
    private record Queued(@Nullable RecordedEvent event, int priority, long sequence) {}

    private MemoryEventBus(Builder builder) {
        super(builder.failureListener);
        this.config = builder.config.build();
        BackendSettings.checkMemory(config);
        this.router = builder.router;
        this.tracing = builder.tracing;
        this.shutdownTimeout = builder.shutdownTimeout;
        this.clock = Clock.systemUTC();
        this.metrics = BusMetrics.of(config.metricsEnabled() ? builder.meterRegistry : null);
        metrics.inProcessSubscriptions(dispatcher::subscriptionCount);
        // The memory bus's lag: events accepted but not yet dispatched.
        this.space = new Semaphore(config.maxQueueSize());
        this.removeQueueGauge = metrics.lag(BusMetrics.IN_PROCESS, this::queuedCount);
        this.queue = new PriorityBlockingQueue<>(Math.min(config.maxQueueSize(), 1024) + 1, QUEUE_ORDER);
        for (int i = 0; i < config.workerCount(); i++) {
            Thread worker = new Thread(this::work, "nexus-memory-bus-" + (i + 1));
            worker.setDaemon(true);
            workers.add(worker);
        }
        workers.forEach(Thread::start);
    }

    /** {@return a builder with every default: see {@link BusConfig} and the setters} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a bus with every default} */
    public static MemoryEventBus create() {
        return builder().build();
    }

    /** {@return the configuration this bus was built with} */
    public BusConfig config() {
        return config;
    }

    @Override
    public void emit(NewEvent event, int priority) {
        requireNonNull(event, "event");
        NewEvent stamped = tracing ? Dispatcher.inheritContext(event) : event;
        StreamId stream = requireNonNull(router.streamFor(stamped), "the stream router returned null");
        checkOpen();
        acquireSpace(stamped.type());
        synchronized (lock) {
            if (closed) {
                space.release();
                throw closedException();
            }
            long version = streamVersions.merge(stream, 1L, Long::sum);
            long position = ++lastPosition;
            RecordedEvent recorded = new RecordedEvent(
                    stream,
                    version,
                    position,
                    stamped.eventId(),
                    stamped.type(),
                    stamped.data(),
                    stamped.metadata(),
                    stamped.correlationId(),
                    stamped.causationId(),
                    stamped.source(),
                    clock.instant());
            queue.add(new Queued(recorded, priority, position));
        }
        metrics.emitted(stamped.type());
    }

    private void acquireSpace(String type) {
        Duration timeout = config.emitTimeout();
        try {
            if (!space.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new BusOverloadedException(type, config.maxQueueSize(), timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BusOverloadedException(type, config.maxQueueSize(), timeout, e);
        }
    }

    private void checkOpen() {
        synchronized (lock) {
            if (closed) {
                throw closedException();
            }
        }
    }

    private static IllegalStateException closedException() {
        return new IllegalStateException("the event bus is closed");
    }

    private void work() {
        while (true) {
            Queued next;
            try {
                next = queue.take();
            } catch (InterruptedException e) {
                return; // close() gave up waiting for us
            }
            RecordedEvent event = next.event();
            if (event == null) {
                return;
            }
            space.release();
            long start = System.nanoTime();
            dispatcher.dispatch(event);
            metrics.processed(BusMetrics.IN_PROCESS, event.type(), System.nanoTime() - start);
        }
    }

    /**
     * {@return the number of events waiting for a worker, counting emits that have reserved space but not yet queued}
     */
    public int queuedCount() {
        return config.maxQueueSize() - space.availablePermits();
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            removeQueueGauge.run();
            metrics.close();
            // After every accepted event: nothing can be queued once closed is set.
            for (int i = 0; i < workers.size(); i++) {
                queue.add(new Queued(null, Integer.MIN_VALUE, Long.MAX_VALUE));
            }
        }
        joinWorkers(workers, shutdownTimeout);
        dispatcher.failWaiters(new IllegalStateException("the event bus was closed"));
    }

    /** Builds a {@link MemoryEventBus}; each setter checks its value at once. Not thread-safe. */
    public static final class Builder extends BusBuilder<Builder> {
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;

        private Builder() {}

        /**
         * See {@link BusConfig.Builder#maxQueueSize(int)}. Default: {@value BusConfig#DEFAULT_MAX_QUEUE_SIZE}.
         *
         * @param maxQueueSize how many emitted events may wait for dispatch
         * @return this builder
         */
        public Builder maxQueueSize(int maxQueueSize) {
            config.maxQueueSize(maxQueueSize);
            return this;
        }

        /**
         * See {@link BusConfig.Builder#workerCount(int)}. Default: {@value BusConfig#DEFAULT_WORKER_COUNT}.
         *
         * @param workerCount how many threads dispatch events
         * @return this builder
         */
        public Builder workerCount(int workerCount) {
            config.workerCount(workerCount);
            return this;
        }

        /**
         * See {@link BusConfig.Builder#emitTimeout(Duration)}. Default: {@link BusConfig#DEFAULT_EMIT_TIMEOUT}.
         *
         * @param emitTimeout how long {@code emit} waits for queue space
         * @return this builder
         */
        public Builder emitTimeout(Duration emitTimeout) {
            config.emitTimeout(emitTimeout);
            return this;
        }

        /**
         * How long {@link #close()} waits for the workers to dispatch what is queued before interrupting them. Zero or
         * more. Default: {@link #DEFAULT_SHUTDOWN_TIMEOUT}, 10 s.
         *
         * @param shutdownTimeout the longest wait
         * @return this builder
         */
        public Builder shutdownTimeout(Duration shutdownTimeout) {
            requireNonNull(shutdownTimeout, "shutdownTimeout");
            if (shutdownTimeout.isNegative()) {
                throw new IllegalArgumentException("shutdownTimeout must not be negative, was " + shutdownTimeout);
            }
            this.shutdownTimeout = shutdownTimeout;
            return this;
        }

        /**
         * Builds the bus and starts its worker threads.
         *
         * @return the running bus; close it to stop it
         * @throws IllegalArgumentException if a retry, batch or polling setting differs from its default (this bus
         *     would ignore it); the message names the setting, its value and its default
         */
        public MemoryEventBus build() {
            return new MemoryEventBus(this);
        }
    }
}
