package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.internal.AnnotatedHandlers;
import io.nexus.eventbus.internal.Dispatcher;
import io.nexus.eventstore.core.RecordedEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The in-process subscriptions every bus backend keeps the same way: one {@link Dispatcher} per bus. */
abstract class DispatchingBus implements EventBus {
    final Dispatcher dispatcher;

    DispatchingBus(HandlerFailureListener failureListener) {
        this.dispatcher = new Dispatcher(failureListener);
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

    /**
     * Waits until {@code workers} ended, at most {@code timeout} for all of them, then interrupts those still running;
     * a worker that is the calling thread (a bus closed from a listener) is skipped, it stops when the listener
     * returns. Keeps the caller's interrupt status.
     */
    static void joinWorkers(List<Thread> workers, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        for (Thread worker : workers) {
            if (worker == Thread.currentThread()) {
                continue;
            }
            try {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    TimeUnit.NANOSECONDS.timedJoin(worker, left);
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (worker.isAlive()) {
                worker.interrupt();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The number of in-process subscriptions (durable subscriptions are not counted). */
    @Override
    public int subscriptionCount() {
        return dispatcher.subscriptionCount();
    }
}
