package io.nexus.examples.boot;

import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.examples.OrderSaga;
import io.nexus.examples.OrderSaga.OrderCancelled;
import io.nexus.examples.OrderSaga.OrderCreated;
import io.nexus.spring.boot.TransactionalAppender;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /orders} places an order; {@code GET /orders/{id}} tells where it stands, from its stream. */
@RestController
public class OrderController {
    /**
     * The request to place an order.
     *
     * @param amountCents the amount, at least 1
     */
    public record PlaceOrder(long amountCents) {}

    /**
     * An order as its stream tells it.
     *
     * @param orderId the order
     * @param status placed, confirmed or cancelled
     * @param reason why it was cancelled, or empty
     * @param events the types of its events, oldest first
     */
    public record OrderView(String orderId, String status, String reason, List<String> events) {}

    private final TransactionalAppender events;
    private final PostgresEventStore store;

    OrderController(TransactionalAppender events, PostgresEventStore store) {
        this.events = events;
        this.store = store;
    }

    @PostMapping("/orders")
    @Transactional // the order.created event commits with whatever else this method writes, or not at all
    public ResponseEntity<OrderView> place(@RequestBody PlaceOrder request) {
        if (request.amountCents() < 1) {
            throw new IllegalArgumentException("amountCents must be >= 1, was " + request.amountCents());
        }
        String orderId = UUID.randomUUID().toString();
        events.append(
                OrderSaga.stream("order", orderId),
                ExpectedVersion.noStream(),
                List.of(NewEvent.of(new OrderCreated(orderId, request.amountCents()))));
        return ResponseEntity.status(HttpStatus.CREATED)
                .body(new OrderView(orderId, "placed", "", List.of("order.created")));
    }

    @GetMapping("/orders/{orderId}")
    public ResponseEntity<OrderView> show(@PathVariable String orderId) {
        List<RecordedEvent> history = store.readStream(OrderSaga.stream("order", orderId), 1, 100);
        if (history.isEmpty()) {
            return ResponseEntity.notFound().build();
        }
        RecordedEvent last = history.get(history.size() - 1);
        String status = switch (last.type()) {
            case "order.confirmed" -> "confirmed";
            case "order.cancelled" -> "cancelled";
            default -> "placed";
        };
        String reason = last.data() instanceof OrderCancelled cancelled ? cancelled.reason() : "";
        return ResponseEntity.ok(new OrderView(
                orderId,
                status,
                reason,
                history.stream().map(RecordedEvent::type).toList()));
    }
}
