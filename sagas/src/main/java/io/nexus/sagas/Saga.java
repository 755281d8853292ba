package io.nexus.sagas;

import io.nexus.eventstore.core.RecordedEvent;
import java.util.Optional;
import java.util.Set;

/**
 * A saga type: a long-running process that reacts to events, one instance per association id (an order id, say).
 * Its state is never a row that gets updated: each instance has its own stream, {@code saga-<type>-<id>}, holding the
 * events the saga {@linkplain Step#record recorded}, and its state is the fold of that stream with {@link #evolve}
 * from {@link #initialState()}. A {@link SagaWorker} runs it; each handled event commits the saga's new events, what
 * it {@linkplain Step#emit emits}, the deadlines it sets or cancels and the worker's checkpoint in one transaction, so
 * a retry or a crash never runs a step twice.
 *
 * <pre>{@code
 * final class OrderSaga implements Saga<OrderState> {
 *     public String type() { return "order"; }
 *     public Set<String> startedBy() { return Set.of("order.created"); }
 *     public Set<String> handles() { return Set.of("payment.completed", "payment.failed"); }
 *     public Optional<String> associationId(RecordedEvent e) { return Optional.of(e.dataAs(OrderEvent.class).orderId()); }
 *     public OrderState initialState() { return OrderState.NEW; }
 *     public OrderState evolve(OrderState s, RecordedEvent e) { return s.apply(e.data()); }
 *     public Step on(OrderState s, RecordedEvent e) {
 *         return switch (e.type()) {
 *             case "order.created" -> Step.record(new PaymentAwaited(..)).emit(paymentStream, new PaymentRequested(..))
 *                     .setDeadline("payment", Duration.ofMinutes(15));
 *             ...
 *         };
 *     }
 *     public Step onDeadline(OrderState s, String deadline) { return Step.none().emit(..).end("payment timed out"); }
 * }
 * }</pre>
 *
 * <p>Implementations must be deterministic in their state (the fold must give the same state on every replay) and
 * must not have effects of their own: everything a step does goes in the {@link Step}. Register the classes of the
 * saga's own events in the store's {@link io.nexus.eventstore.core.EventTypeRegistry}, so that a replay decodes them
 * into the classes {@link #evolve} expects. A method that throws refuses the batch, which is rolled back and retried
 * with back-off: it stops the instance's partition until fixed (a saga never skips an event).
 *
 * @param <S> the state type, ideally an immutable record
 */
public interface Saga<S> {
    /**
     * The saga's type name: part of its stream ids ({@code saga-<type>-<id>}) and of its partitions' checkpoint
     * names, so it must stay stable. 1 to {@value SagaWorker#MAX_TYPE_LENGTH} characters of lower-case letters,
     * digits, {@code .} and {@code _}.
     *
     * @return the type name
     */
    String type();

    /**
     * The event types that start an instance when none exists for the event's association id. An event of another
     * type for an instance that does not exist is ignored.
     *
     * @return the starting event types, not empty
     */
    Set<String> startedBy();

    /**
     * The further event types a running instance reacts to. Default: none.
     *
     * @return the event types
     */
    default Set<String> handles() {
        return Set.of();
    }

    /**
     * The instance {@code event} belongs to: typically a field of its payload (the order id). Empty to ignore the
     * event.
     *
     * @param event an event of one of the types in {@link #startedBy()} or {@link #handles()}
     * @return the association id, at most {@value SagaWorker#MAX_ASSOCIATION_ID_LENGTH} characters
     */
    Optional<String> associationId(RecordedEvent event);

    /**
     * The state of an instance before its first event.
     *
     * @return the initial state
     */
    S initialState();

    /**
     * Folds one of the saga's own recorded events into the state. Never called with the saga's bookkeeping events
     * ({@link SagaEvents}).
     *
     * @param state the state so far
     * @param sagaEvent an event from the instance's stream, as recorded by a {@link Step}
     * @return the new state
     */
    S evolve(S state, RecordedEvent sagaEvent);

    /**
     * Decides what the instance does on {@code event}.
     *
     * @param state the instance's state, rebuilt from its stream
     * @param event the event, of one of the types in {@link #startedBy()} or {@link #handles()}
     * @return the step: events to record and emit, deadlines, the end
     */
    Step on(S state, RecordedEvent event);

    /**
     * Decides what the instance does when a deadline it {@linkplain Step#setDeadline set} is due. Default: throws,
     * for sagas that set none.
     *
     * @param state the instance's state, rebuilt from its stream
     * @param deadline the deadline's name
     * @return the step
     */
    default Step onDeadline(S state, String deadline) {
        throw new UnsupportedOperationException(
                "saga '" + type() + "' set deadline '" + deadline + "' but does not override onDeadline");
    }
}
