package io.nexus.eventbus;

import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Hands emitted events to the listeners subscribed to their type. Backends differ in where events travel ({@link
 * MemoryEventBus}: an in-process queue, nothing kept) but not in what a listener sees: a {@link RecordedEvent} with
 * its stream, version, position and envelope.
 *
 * <p><b>Order.</b> The listeners of one event run one after another, highest priority first, ties in subscription
 * order; one listener's exception is reported to the {@link HandlerFailureListener} and never stops the others.
 *
 * <p><b>Correlation.</b> While a listener handles an event, that event is the thread's current event: an event
 * emitted from the listener's thread gets the current event's correlation id (or its event id when it has none) and
 * the current event's id as causation id, unless it already has its own. Work handed to other threads does not carry
 * the context.
 *
 * <p>Implementations are thread-safe. Arguments are never null; bad arguments throw {@link IllegalArgumentException}
 * or {@link NullPointerException} at the call. After {@link #close()}, {@code emit} throws {@link
 * IllegalStateException}.
 */
public interface EventBus extends AutoCloseable {
    /** The priority of {@link #emit(NewEvent)} and {@link #subscribe(String, EventListener)}: 0. */
    int DEFAULT_PRIORITY = 0;

    /**
     * Emits {@code event} with {@link #DEFAULT_PRIORITY}; see {@link #emit(NewEvent, int)}.
     *
     * @param event the event to emit
     */
    default void emit(NewEvent event) {
        emit(event, DEFAULT_PRIORITY);
    }

    /**
     * Emits {@code event}. When events wait for dispatch, higher {@code priority} goes first and equal priorities keep
     * emit order. Returns once the bus has accepted the event, before its listeners run.
     *
     * @param event the event to emit
     * @param priority its dispatch priority; higher goes first
     * @throws BusOverloadedException if the bus could not accept it in time; nothing was emitted
     * @throws IllegalStateException if the bus is closed
     */
    void emit(NewEvent event, int priority);

    /**
     * Subscribes {@code listener} with {@link #DEFAULT_PRIORITY}; see {@link #subscribe(String, EventListener, int)}.
     *
     * @param typePattern an exact type, {@code *}, {@code user.*} or {@code *.error}; see {@link TypePattern}
     * @param listener the listener
     * @return the id to {@link #unsubscribe(SubscriptionId) unsubscribe} with
     */
    default SubscriptionId subscribe(String typePattern, EventListener listener) {
        return subscribe(typePattern, listener, DEFAULT_PRIORITY);
    }

    /**
     * Subscribes {@code listener} to the events whose type matches {@code typePattern} and that are dispatched from now
     * on. Among the listeners of one event, higher {@code priority} runs first.
     *
     * @param listener the listener
     * @param priority its place among the listeners of one event; higher runs first
     * @param typePattern an exact type, {@code *}, {@code user.*} or {@code *.error}; see {@link TypePattern}
     * @return the id to {@link #unsubscribe(SubscriptionId) unsubscribe} with
     * @throws IllegalArgumentException if the pattern is malformed
     */
    SubscriptionId subscribe(String typePattern, EventListener listener, int priority);

    /**
     * Subscribes every {@link EventHandler}-annotated method of {@code handlers} (its class and superclasses). Either
     * every method is subscribed or, when one is malformed, none is.
     *
     * @param handlers an object with {@link EventHandler}-annotated methods
     * @return one subscription id per method, in no particular order
     * @throws IllegalArgumentException if {@code handlers} has no annotated method, or one has the wrong shape, a
     *     malformed pattern or a condition that cannot be created; the message names the method
     */
    List<SubscriptionId> register(Object handlers);

    /**
     * Ends a subscription: its listener receives no event whose dispatch starts afterwards (a dispatch already under
     * way may still call it once).
     *
     * @param id an id that {@code subscribe} or {@code register} returned
     * @return whether the subscription existed
     */
    boolean unsubscribe(SubscriptionId id);

    /**
     * A future that completes with the next event matching {@code typePattern} dispatched after this call, or fails
     * with a {@link java.util.concurrent.TimeoutException} once {@code timeout} has passed without one. Call it before
     * emitting the request whose answer you await. The future completes on a pool thread, never on a bus worker, so
     * blocking stages attached to it do not stall dispatch. Cancelling it stops the wait. When the bus closes, pending
     * futures fail with {@link IllegalStateException}.
     *
     * @param typePattern an exact type, {@code *}, {@code user.*} or {@code *.error}; see {@link TypePattern}
     * @param timeout how long to wait; positive
     * @return the future
     * @throws IllegalArgumentException if the pattern is malformed or the timeout is not positive
     */
    CompletableFuture<RecordedEvent> waitFor(String typePattern, Duration timeout);

    /** {@return the number of active subscriptions (not counting {@link #waitFor} waiters)} */
    int subscriptionCount();

    /**
     * Stops accepting events, lets already accepted events be dispatched as the backend documents, and releases its
     * threads. Idempotent.
     */
    @Override
    void close();
}
