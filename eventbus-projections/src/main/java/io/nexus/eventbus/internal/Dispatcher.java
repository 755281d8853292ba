package io.nexus.eventbus.internal;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.HandlerFailureListener;
import io.nexus.eventbus.SubscriptionId;
import io.nexus.eventbus.TypePattern;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import java.lang.System.Logger.Level;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The subscription table, the waiters and the dispatch of one event to its listeners; every backend delegates to one.
 * Backends decide where events come from and on which threads {@link #dispatch(RecordedEvent)} runs.
 */
public final class Dispatcher {
    private static final System.Logger LOG = System.getLogger("io.nexus.eventbus");
    private static final ThreadLocal<RecordedEvent> CURRENT = new ThreadLocal<>();
    private static final Comparator<Subscription> DISPATCH_ORDER =
            Comparator.comparingInt(Subscription::priority).reversed().thenComparingLong(Subscription::sequence);

    private final HandlerFailureListener failures;
    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    private final Object lock = new Object();
    // Copy-on-write, kept in dispatch order: dispatch reads it without locking.
    private volatile List<Subscription> subscriptions = List.of();
    private long lastSequence; // guarded by lock

    /** A subscribed listener; {@code sequence} breaks priority ties in subscription order. */
    record Subscription(
            SubscriptionId id,
            TypePattern pattern,
            Predicate<RecordedEvent> condition,
            EventListener listener,
            int priority,
            long sequence) {}

    /** A subscription request, not yet numbered. */
    public record Registration(
            TypePattern pattern, Predicate<RecordedEvent> condition, EventListener listener, int priority) {
        public Registration {
            requireNonNull(pattern, "pattern");
            requireNonNull(condition, "condition");
            requireNonNull(listener, "listener");
        }
    }

    // Identity, not value, equality: two waits on one pattern are two waiters.
    private static final class Waiter {
        final TypePattern pattern;
        final CompletableFuture<RecordedEvent> future = new CompletableFuture<>();

        Waiter(TypePattern pattern) {
            this.pattern = pattern;
        }
    }

    public Dispatcher(HandlerFailureListener failures) {
        this.failures = requireNonNull(failures, "failures");
    }

    /** Adds the registrations atomically: dispatch sees all of them or none. */
    public List<SubscriptionId> subscribe(List<Registration> registrations) {
        List<SubscriptionId> ids = new ArrayList<>();
        synchronized (lock) {
            List<Subscription> next = new ArrayList<>(subscriptions);
            for (Registration r : registrations) {
                SubscriptionId id = SubscriptionId.random();
                next.add(new Subscription(id, r.pattern(), r.condition(), r.listener(), r.priority(), ++lastSequence));
                ids.add(id);
            }
            next.sort(DISPATCH_ORDER);
            subscriptions = List.copyOf(next);
        }
        return List.copyOf(ids);
    }

    public boolean unsubscribe(SubscriptionId id) {
        requireNonNull(id, "id");
        synchronized (lock) {
            List<Subscription> next = new ArrayList<>(subscriptions);
            boolean removed = next.removeIf(s -> s.id().equals(id));
            subscriptions = List.copyOf(next);
            return removed;
        }
    }

    /** Whether any {@link #waitFor} is pending. */
    public boolean hasWaiters() {
        return !waiters.isEmpty();
    }

    public int subscriptionCount() {
        return subscriptions.size();
    }

    /** A future for the next dispatched event matching {@code pattern}; fails after {@code timeout}. */
    @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's future only reports waiters.remove, never failing
    public CompletableFuture<RecordedEvent> waitFor(TypePattern pattern, Duration timeout) {
        requireNonNull(pattern, "pattern");
        requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("waitFor timeout must be positive, was " + timeout);
        }
        Waiter waiter = new Waiter(pattern);
        waiters.add(waiter);
        waiter.future.whenComplete((event, error) -> waiters.remove(waiter));
        // Weak, so that a wait answered early does not keep its event reachable until the timeout fires.
        WeakReference<CompletableFuture<RecordedEvent>> future = new WeakReference<>(waiter.future);
        CompletableFuture.delayedExecutor(timeout.toNanos(), TimeUnit.NANOSECONDS)
                .execute(() -> {
                    CompletableFuture<RecordedEvent> pending = future.get();
                    if (pending != null) {
                        pending.completeExceptionally(new TimeoutException(
                                "no event matching '" + pattern.pattern() + "' within " + timeout));
                    }
                });
        return waiter.future;
    }

    /** Fails every pending waiter with {@code error}; for closing a bus. */
    public void failWaiters(Throwable error) {
        for (Waiter waiter : waiters) {
            waiter.future.completeExceptionally(error);
        }
    }

    /**
     * Completes the waiters that {@code event} matches, then runs its listeners in dispatch order with {@code event} as
     * the thread's current event. Never throws for a listener's failure.
     */
    public void dispatch(RecordedEvent event) {
        String type = event.type();
        for (Waiter waiter : waiters) {
            // remove() succeeds for one thread only, so one waiter takes exactly one event.
            if (waiter.pattern.matches(type) && waiters.remove(waiter)) {
                waiter.future.completeAsync(() -> event);
            }
        }
        RecordedEvent previous = CURRENT.get();
        CURRENT.set(event);
        try {
            for (Subscription subscription : subscriptions) {
                if (subscription.pattern().matches(type)) {
                    invoke(subscription, event);
                }
            }
        } finally {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }

    private void invoke(Subscription subscription, RecordedEvent event) {
        try {
            if (subscription.condition().test(event)) {
                subscription.listener().handle(event);
            }
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) { // an AssertionError or LinkageError in one listener must not stop the others either
            report(subscription.id(), event, e);
        }
    }

    private void report(SubscriptionId id, RecordedEvent event, Throwable error) {
        try {
            failures.onFailure(id, event, error);
        } catch (RuntimeException e) {
            e.addSuppressed(error);
            LOG.log(Level.ERROR, "the handler failure listener threw; the original failure is suppressed", e);
        }
    }

    /**
     * {@code event} with the correlation and causation ids of the current thread's event filled in where it has none:
     * correlation from the current event's correlation id, or its event id; causation from its event id. Unchanged
     * outside a dispatch.
     */
    public static NewEvent inheritContext(NewEvent event) {
        requireNonNull(event, "event");
        RecordedEvent current = CURRENT.get();
        if (current == null) {
            return event;
        }
        @Nullable UUID correlationId = event.correlationId();
        if (correlationId == null) {
            correlationId = current.correlationId() != null ? current.correlationId() : current.eventId();
        }
        @Nullable UUID causationId = event.causationId();
        if (causationId == null) {
            causationId = current.eventId();
        }
        return event.withCorrelationId(correlationId).withCausationId(causationId);
    }

    /**
     * Runs {@code listener} on {@code event} with {@code event} as the thread's current event (so that what it emits
     * inherits the context), letting its exception through: for durable subscriptions, which retry.
     */
    public static void handleAsCurrent(RecordedEvent event, EventListener listener) throws Exception {
        RecordedEvent previous = CURRENT.get();
        CURRENT.set(event);
        try {
            listener.handle(event);
        } finally {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }
}
