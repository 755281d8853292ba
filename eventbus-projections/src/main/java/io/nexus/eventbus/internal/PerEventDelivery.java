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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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

    private final TypePattern pattern;
    private final EventFilter filter;
    private final EventListener listener;
    private final BusConfig config;
    private final EventStore store;
    private final SubscriptionRows rows;
    private final BusMetrics metrics;
    // Callers in this process waiting for a re-delivery (DeadLetters.retry), by dead letter id.
    private final ConcurrentHashMap<Long, CompletableFuture<Boolean>> waiting = new ConcurrentHashMap<>();
    // System.nanoTime() from which the next turn looks for re-deliveries asked for (hasPendingWork).
    private volatile long nextRetryPoll = System.nanoTime();
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
            SubscriptionRows rows,
            BusMetrics metrics) {
        this.pattern = requireNonNull(pattern, "pattern");
        // Exact types and categories are filtered by the database; wildcards are matched here.
        Set<String> types = pattern instanceof TypePattern.Exact exact ? Set.of(exact.pattern()) : Set.of();
        this.filter = new EventFilter(types, Set.copyOf(categories));
        this.listener = requireNonNull(listener, "listener");
        this.config = requireNonNull(config, "config");
        this.store = requireNonNull(store, "store");
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
        for (int i = 0; i < batch.size(); i++) {
            // A batch in flight stops after the event being delivered: on stop(), and when the lease is gone (another
            // process may be delivering the same events by now; only a fenced checkpoint would have stopped it).
            if (consumer.isClosed()) {
                return handled;
            }
            if (!consumer.isOwned()) {
                return -1;
            }
            RecordedEvent event = batch.get(i);
            if (pattern.matches(event.type())) {
                Outcome outcome =
                        deliver(event, consumer, (attempts, error) -> deadLetter(event, consumer, attempts, error));
                if (outcome == Outcome.LEASE_LOST) {
                    return -1;
                }
                if (outcome == Outcome.CLOSED) {
                    return handled;
                }
            }
            // The parts of an event an upcaster split share its position: it is handled once its last part is.
            if (i + 1 == batch.size() || batch.get(i + 1).position() != event.position()) {
                handled = event.position();
                consumer.handled(handled);
            }
        }
        return handled;
    }

    /** What to record when an event failed every attempt; false when the lease was lost (nothing recorded). */
    private interface GiveUp {
        boolean record(int attempts, String error);
    }

    private boolean deadLetter(RecordedEvent event, CheckpointedConsumer consumer, int attempts, String error) {
        if (!consumer.deadLetter(event, attempts, error)) {
            return false;
        }
        metrics.deadLettered(name());
        LOG.log(
                Level.WARNING,
                "durable subscription '" + name() + "' dead-lettered event " + event.eventId() + " at position "
                        + event.position() + " after " + attempts + " attempts: " + firstLine(error));
        return true;
    }

    private Outcome deliver(RecordedEvent event, CheckpointedConsumer consumer, GiveUp giveUp) {
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
                    return giveUp.record(attempts, error) ? Outcome.DEAD_LETTERED : Outcome.LEASE_LOST;
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
     * Waits for the re-delivery of dead letter {@code deadLetterId}, whose request is already recorded ({@link
     * SubscriptionRows#requestRetry}), and has this consumer look for it at once. The future completes with true when
     * the listener handled it (the dead letter is then deleted), false when it failed again (the dead letter stays,
     * with its attempts and error updated).
     */
    public CompletableFuture<Boolean> awaitRetry(long deadLetterId) {
        if (!isActive() || closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("durable subscription '" + name()
                    + "' is not consumed by this process right now (another process holds its lease, or it is"
                    + " closed)"));
        }
        CompletableFuture<Boolean> result = waiting.computeIfAbsent(deadLetterId, id -> new CompletableFuture<>());
        nextRetryPoll = System.nanoTime();
        requireNonNull(scheduler, "scheduler").schedule(consumer());
        return result;
    }

    /** Due every flush interval: the poll for re-deliveries asked for by other processes (the command line). */
    @Override
    public boolean hasPendingWork() {
        return System.nanoTime() - nextRetryPoll >= 0;
    }

    /**
     * Runs the re-deliveries asked for, oldest position first: their list is read in a transaction fenced by the lease,
     * each runs through the listener with the usual retries, and its outcome is written fenced too, so an owner that
     * lost its lease neither starts one nor records one.
     */
    @Override
    public boolean runPendingWork(CheckpointedConsumer consumer) {
        if (!hasPendingWork()) {
            return true; // looked less than a flush interval ago: batches in between cost nothing
        }
        nextRetryPoll = System.nanoTime() + config.flushInterval().toNanos();
        Optional<List<SubscriptionRows.RetryRequest>> requests =
                consumer.inFencedTransaction(handle -> rows.retryRequests(handle, name(), config.batchSize()));
        if (requests.isEmpty()) {
            return false;
        }
        for (SubscriptionRows.RetryRequest request : requests.get()) {
            Outcome outcome = retry(request, consumer);
            if (outcome == Outcome.LEASE_LOST || outcome == Outcome.CLOSED) {
                return false; // the request stays recorded: whoever owns the subscription next runs it
            }
            CompletableFuture<Boolean> waiter = waiting.remove(request.deadLetterId());
            if (waiter != null) {
                waiter.complete(outcome == Outcome.HANDLED);
            }
        }
        return true;
    }

    private Outcome retry(SubscriptionRows.RetryRequest request, CheckpointedConsumer consumer) {
        long id = request.deadLetterId();
        // One position, all its parts: the dead letter is the part with its event id.
        Optional<RecordedEvent> stored =
                store.readAllUpTo(request.position(), request.position(), 1, EventFilter.ALL).stream()
                        .filter(event -> event.eventId().equals(request.eventId()))
                        .findFirst();
        if (stored.isEmpty()) {
            String error = "re-delivery of dead letter " + id + ": the event at position " + request.position()
                    + " is no longer in the store (retention removed it); discard the dead letter";
            return consumer.retryFailed(id, 0, error, request.requestedAt())
                    ? Outcome.DEAD_LETTERED
                    : Outcome.LEASE_LOST;
        }
        RecordedEvent event = stored.get();
        Outcome outcome = deliver(
                event, consumer, (attempts, error) -> consumer.retryFailed(id, attempts, error, request.requestedAt()));
        if (outcome == Outcome.HANDLED && !consumer.retried(id)) {
            return Outcome.LEASE_LOST;
        }
        if (outcome == Outcome.DEAD_LETTERED) {
            LOG.log(
                    Level.WARNING,
                    "durable subscription '" + name() + "': re-delivery of dead letter " + id + " (event "
                            + event.eventId() + ") failed again; it stays a dead letter");
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
            nextRetryPoll = System.nanoTime(); // requests recorded while nobody owned it run now
        } else {
            metrics.leaseReleased();
            failWaiting("lost its lease; the process that owns it next runs the re-delivery");
        }
    }

    @Override
    public void onClosed() {
        failWaiting("closed; the process that owns it next runs the re-delivery");
    }

    private void failWaiting(String why) {
        for (Long id : List.copyOf(waiting.keySet())) {
            CompletableFuture<Boolean> waiter = waiting.remove(id);
            if (waiter != null) {
                waiter.completeExceptionally(new IllegalStateException("durable subscription '" + name() + "' " + why));
            }
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

    private static String firstLine(String text) {
        int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end);
    }

    private static String describe(RecordedEvent event, int attempt, Throwable error) {
        StringWriter trace = new StringWriter();
        error.printStackTrace(new PrintWriter(trace));
        return "event " + event.eventId() + " (" + event.type() + ") at position " + event.position() + ", attempt "
                + attempt + ": " + trace;
    }
}
