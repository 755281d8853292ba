package io.nexus.examples;

import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.sagas.Saga;
import io.nexus.sagas.Step;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * The original design's order saga: {@code order.created} requests the payment and sets a payment deadline; {@code
 * payment.completed} requests the inventory reservation; {@code payment.failed}, or the deadline passing with nobody
 * paying, cancels the order. Compensation is ordinary saga logic: when the inventory cannot be reserved after the
 * payment, the saga asks for a refund and cancels the order. Its state is rebuilt from its own events ({@link
 * PaymentAwaited}, {@link InventoryAwaited}), never stored as a row.
 */
public final class OrderSaga implements Saga<OrderSaga.State> {
    /** Every event this saga reacts to names its order. */
    public sealed interface OrderEvent
            permits OrderCreated, PaymentCompleted, PaymentFailed, InventoryReserved, InventoryReservationFailed {
        /** {@return the order's id} */
        String orderId();
    }

    @EventType("order.created")
    public record OrderCreated(String orderId, long amountCents) implements OrderEvent {}

    @EventType("payment.completed")
    public record PaymentCompleted(String orderId) implements OrderEvent {}

    @EventType("payment.failed")
    public record PaymentFailed(String orderId, String reason) implements OrderEvent {}

    @EventType("inventory.reserved")
    public record InventoryReserved(String orderId) implements OrderEvent {}

    @EventType("inventory.reservation-failed")
    public record InventoryReservationFailed(String orderId) implements OrderEvent {}

    // What the saga emits: commands and events for the other components.

    @EventType("payment.requested")
    public record PaymentRequested(String orderId, long amountCents) {}

    @EventType("inventory.reservation-requested")
    public record InventoryReservationRequested(String orderId) {}

    @EventType("payment.refund-requested")
    public record RefundRequested(String orderId, long amountCents) {}

    @EventType("order.confirmed")
    public record OrderConfirmed(String orderId) {}

    @EventType("order.cancelled")
    public record OrderCancelled(String orderId, String reason) {}

    // The saga's own events, in its stream saga-order-<id>: its state is their fold.

    @EventType("order-saga.payment-awaited")
    public record PaymentAwaited(String orderId, long amountCents) {}

    @EventType("order-saga.inventory-awaited")
    public record InventoryAwaited(String orderId) {}

    /** Where an order's saga stands. */
    public enum Stage {
        NEW,
        AWAITING_PAYMENT,
        AWAITING_INVENTORY
    }

    /**
     * The saga's state, rebuilt from its stream.
     *
     * @param orderId the order
     * @param stage where it stands
     * @param amountCents the order's amount, to refund if it comes to that
     */
    public record State(String orderId, Stage stage, long amountCents) {}

    /** The payment deadline's name. */
    public static final String PAYMENT_DEADLINE = "payment";

    private final Duration paymentTimeout;

    /**
     * An order saga that cancels an order not paid within {@code paymentTimeout}.
     *
     * @param paymentTimeout how long to wait for the payment
     */
    public OrderSaga(Duration paymentTimeout) {
        this.paymentTimeout = paymentTimeout;
    }

    /** {@return every event class of the saga, for the store's type registry} */
    public static EventTypeRegistry types() {
        return EventTypeRegistry.builder()
                .register(OrderCreated.class, PaymentCompleted.class, PaymentFailed.class, InventoryReserved.class)
                .register(InventoryReservationFailed.class, PaymentRequested.class)
                .register(InventoryReservationRequested.class, RefundRequested.class, OrderConfirmed.class)
                .register(OrderCancelled.class, PaymentAwaited.class, InventoryAwaited.class)
                .unknownTypesAsRawJson()
                .build();
    }

    /**
     * The stream of {@code category} for an order.
     *
     * @param category {@code order}, {@code payment} or {@code inventory}
     * @param orderId the order
     * @return the stream id
     */
    public static StreamId stream(String category, String orderId) {
        return StreamId.of(category, orderId);
    }

    @Override
    public String type() {
        return "order";
    }

    @Override
    public Set<String> startedBy() {
        return Set.of("order.created");
    }

    @Override
    public Set<String> handles() {
        return Set.of("payment.completed", "payment.failed", "inventory.reserved", "inventory.reservation-failed");
    }

    @Override
    public Optional<String> associationId(RecordedEvent event) {
        return Optional.of(event.dataAs(OrderEvent.class).orderId());
    }

    @Override
    public State initialState() {
        return new State("", Stage.NEW, 0);
    }

    @Override
    public State evolve(State state, RecordedEvent sagaEvent) {
        Object data = sagaEvent.data();
        if (data instanceof PaymentAwaited awaited) {
            return new State(awaited.orderId(), Stage.AWAITING_PAYMENT, awaited.amountCents());
        } else if (data instanceof InventoryAwaited) {
            return new State(state.orderId(), Stage.AWAITING_INVENTORY, state.amountCents());
        }
        throw new IllegalStateException("unexpected saga event " + sagaEvent.type());
    }

    @Override
    public Step on(State state, RecordedEvent event) {
        Object data = event.data();
        if (data instanceof OrderCreated created && state.stage() == Stage.NEW) {
            return Step.record(new PaymentAwaited(created.orderId(), created.amountCents()))
                    .emit(
                            stream("payment", created.orderId()),
                            new PaymentRequested(created.orderId(), created.amountCents()))
                    .setDeadline(PAYMENT_DEADLINE, paymentTimeout);
        } else if (data instanceof PaymentCompleted paid && state.stage() == Stage.AWAITING_PAYMENT) {
            return Step.record(new InventoryAwaited(paid.orderId()))
                    .emit(stream("inventory", paid.orderId()), new InventoryReservationRequested(paid.orderId()))
                    .cancelDeadline(PAYMENT_DEADLINE);
        } else if (data instanceof PaymentFailed failed && state.stage() == Stage.AWAITING_PAYMENT) {
            return cancel(failed.orderId(), "payment_failed");
        } else if (data instanceof InventoryReserved reserved && state.stage() == Stage.AWAITING_INVENTORY) {
            return Step.none()
                    .emit(stream("order", reserved.orderId()), new OrderConfirmed(reserved.orderId()))
                    .end("completed");
        } else if (data instanceof InventoryReservationFailed failed && state.stage() == Stage.AWAITING_INVENTORY) {
            // Compensation: the payment went through, so it is refunded before the order is cancelled.
            return Step.none()
                    .emit(
                            stream("payment", failed.orderId()),
                            new RefundRequested(failed.orderId(), state.amountCents()))
                    .emit(stream("order", failed.orderId()), new OrderCancelled(failed.orderId(), "out_of_stock"))
                    .end("compensated");
        }
        return Step.none(); // an event that does not fit the stage (a late duplicate, say) changes nothing
    }

    @Override
    public Step onDeadline(State state, String deadline) {
        // Only the payment deadline exists; it is cancelled once paid, so a firing means nobody paid.
        return cancel(state.orderId(), "payment_timeout");
    }

    private static Step cancel(String orderId, String reason) {
        // Ending cancels the instance's deadlines too.
        return Step.none()
                .emit(stream("order", orderId), new OrderCancelled(orderId, reason))
                .end("cancelled");
    }
}
