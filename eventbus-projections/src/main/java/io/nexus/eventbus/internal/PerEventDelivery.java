package io.nexus.eventbus.internal;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.BusConfig;
import io.nexus.eventbus.DurableSubscription;
import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.TypePattern;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.RecordedEvent;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;

/**
 * The delivery of durable subscriptions (and so of the broker relays): each matching event to the listener, one at a
 * time, retried {@link BusConfig#retryAttempts()} times after {@link BusConfig#retryDelay()}, then dead-lettered
 * (fenced: a deposed owner writes none) so the subscription goes on. Also the running {@link DurableSubscription}.
 */
public final class PerEventDelivery implements Delivery, DurableSubscription {
    private static final System.Logger LOG = System.getLogger("io.nexus.eventbus");

    private enum Outcome {
        HANDLED,
        DEAD_LETTERED,
        LEASE_LOST,
        CLOSED
    }

    private record Redelivery(long deadLetterId, CompletableFuture<Boolean> result) {}

    private final TypePattern pattern;
    private final EventFilter filter;
    private final EventListener listener;
    private final BusConfig config;
    private final EventStore store;
    private final Jdbi jdbi;
    private final SubscriptionRows rows;
    private final BusMetrics metrics;
    private final ConcurrentLinkedQueue<Redelivery> redeliveries = new ConcurrentLinkedQueue<>();
    private @Nullable CheckpointedConsumer consumer;
    private @Nullable ConsumerScheduler scheduler;
    private @Nullable Runnable onClose;
    private @Nullable Runnable removeLagGauge;
    private volatile boolean closed;

    public PerEventDelivery(
            TypePattern pattern,
            Set<String> categories,
            EventListener listener,
            BusConfig config,
            EventStore store,
            Jdbi jdbi,
            SubscriptionRows rows,
            BusMetrics metrics) {
        this.pattern = requireNonNull(pattern, "pattern");
        // Exact types and categories are filtered by the database; wildcards are matched here.
        Set<String> types = pattern instanceof TypePattern.Exact exact ? Set.of(exact.pattern()) : Set.of();
        this.filter = new EventFilter(types, Set.copyOf(categories));
        this.listener = requireNonNull(listener, "listener");
        this.config = requireNonNull(config, "config");
        this.store = requireNonNull(store, "store");
        this.jdbi = requireNonNull(jdbi, "jdbi");
        this.rows = requireNonNull(rows, "rows");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    /**
     * Creates the row if new and starts consuming through {@code scheduler}; {@code onClose} runs once closed.
     *
     * @throws IllegalArgumentException if the name belongs to a projection
     */
    public PerEventDelivery start(CheckpointedConsumer consumer, ConsumerScheduler scheduler, Runnable onClose) {
        consumer.ensureRow();
        this.consumer = consumer;
        this.scheduler = scheduler;
        this.onClose = onClose;
        this.removeLagGauge =
                metrics.lag(consumer.name().value(), () -> Math.max(0, consumer.knownHead() - consumer.position()));
        scheduler.add(consumer);
        return this;
    }

    private CheckpointedConsumer consumer() {
        return requireNonNull(consumer, "not started");
    }

    @Override
    public String name() {
        return consumer().name().value();
    }

    @Override
    public long position() {
        return consumer().position();
    }

    @Override
    public boolean isActive() {
        return consumer().isOwned();
    }

    @Override
    public EventFilter filter() {
        return filter;
    }

    @Override
    public long deliver(List<RecordedEvent> batch, CheckpointedConsumer consumer) {
        long handled = consumer.checkpoint();
        for (RecordedEvent event : batch) {
            if (pattern.matches(event.type())) {
                Outcome outcome = deliver(event, consumer);
                if (outcome == Outcome.LEASE_LOST) {
                    return -1;
                }
                if (outcome == Outcome.CLOSED) {
                    return handled;
                }
            }
            handled = event.position();
            consumer.handled(handled);
        }
        return handled;
    }

    private Outcome deliver(RecordedEvent event, CheckpointedConsumer consumer) {
        for (int attempts = 1; ; attempts++) {
            long start = System.nanoTime();
            try {
                Dispatcher.handleAsCurrent(event, listener);
                metrics.processed(name(), event.type(), System.nanoTime() - start);
                return Outcome.HANDLED;
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) { // an AssertionError in a handler is a failure like any other
                String error = describe(event, attempts, e);
                consumer.recordError(error);
                if (attempts > config.retryAttempts()) {
                    if (!consumer.deadLetter(event, attempts, error)) {
                        return Outcome.LEASE_LOST;
                    }
                    metrics.deadLettered(name());
                    LOG.log(
                            Level.WARNING,
                            "durable subscription '" + name() + "' dead-lettered event " + event.eventId()
                                    + " at position " + event.position() + " after " + attempts + " attempts",
                            e);
                    return Outcome.DEAD_LETTERED;
                }
                metrics.retried(name());
                long delay = CheckpointedConsumer.retryDelayMillis(config, attempts);
                if (!consumer.sleepWhileOwned(TimeUnit.MILLISECONDS.toNanos(delay))) {
                    return consumer.isClosed() ? Outcome.CLOSED : Outcome.LEASE_LOST;
                }
            }
        }
    }

    /**
     * Asks this consumer to re-deliver dead letter {@code deadLetterId}: the future completes with true when the
     * listener handled it (the dead letter is then deleted), false when it failed again (the dead letter stays, with
     * its attempts and error updated).
     */
    public CompletableFuture<Boolean> redeliver(long deadLetterId) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        if (!isActive() || closed) {
            result.completeExceptionally(
                    new IllegalStateException(
                            "durable subscription '" + name()
                                    + "' is not consumed by this process right now (another process holds its lease, or it is closed)"));
            return result;
        }
        redeliveries.add(new Redelivery(deadLetterId, result));
        requireNonNull(scheduler, "scheduler").schedule(consumer());
        return result;
    }

    @Override
    public boolean hasPendingWork() {
        return !redeliveries.isEmpty();
    }

    @Override
    public boolean runPendingWork(CheckpointedConsumer consumer) {
        Redelivery request;
        while ((request = redeliveries.poll()) != null) {
            try {
                Outcome outcome = redeliver(request.deadLetterId(), consumer);
                if (outcome == Outcome.LEASE_LOST || outcome == Outcome.CLOSED) {
                    request.result()
                            .completeExceptionally(new IllegalStateException("durable subscription '" + name() + "' "
                                    + (outcome == Outcome.CLOSED ? "closed" : "lost its lease")));
                    return false;
                }
                request.result().complete(outcome == Outcome.HANDLED);
            } catch (RuntimeException e) {
                request.result().completeExceptionally(e);
                throw e;
            }
        }
        return true;
    }

    private Outcome redeliver(long id, CheckpointedConsumer consumer) {
        Optional<Long> deadPosition = jdbi.inTransaction(handle -> rows.deadLetterPosition(handle, name(), id));
        if (deadPosition.isEmpty()) {
            throw new IllegalArgumentException("no dead letter " + id + " of durable subscription '" + name() + "'");
        }
        List<RecordedEvent> events = store.readAll(deadPosition.get(), 1, EventFilter.ALL);
        if (events.isEmpty() || events.get(0).position() != deadPosition.get()) {
            throw new IllegalStateException("the event of dead letter " + id + " is no longer in the store");
        }
        Outcome outcome = deliver(events.get(0), consumer);
        if (outcome == Outcome.HANDLED) {
            jdbi.useTransaction(handle -> rows.deleteDeadLetter(handle, id));
        }
        return outcome;
    }

    @Override
    public void onRemovedEvents(long from, long to, long count) {
        metrics.removedBeforeProcessed(name(), count);
    }

    @Override
    public void onOwnershipChanged(boolean owned, long fencingToken) {
        if (owned) {
            metrics.leaseAcquired();
        } else {
            metrics.leaseReleased();
        }
    }

    @Override
    public void onClosed() {
        Redelivery pending;
        while ((pending = redeliveries.poll()) != null) {
            pending.result()
                    .completeExceptionally(new IllegalStateException("durable subscription '" + name() + "' closed"));
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        requireNonNull(scheduler, "scheduler").remove(consumer());
        if (removeLagGauge != null) {
            removeLagGauge.run();
        }
        if (onClose != null) {
            onClose.run();
        }
    }

    private static String describe(RecordedEvent event, int attempt, Throwable error) {
        StringWriter trace = new StringWriter();
        error.printStackTrace(new PrintWriter(trace));
        return "event " + event.eventId() + " (" + event.type() + ") at position " + event.position() + ", attempt "
                + attempt + ": " + trace;
    }
}
