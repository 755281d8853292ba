package io.nexus.eventstore.core.contract;

import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.UnknownTypePolicy;
import java.math.BigDecimal;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/** Small event factories shared by the contract suite and the store tests. */
public final class TestEvents {
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private TestEvents() {}

    @EventType("order.placed")
    public record OrderPlaced(String orderId, String customer, BigDecimal amount, List<String> items) {}

    @EventType("order.shipped")
    public record OrderShipped(String orderId, String carrier) {}

    /** A registry that knows every test event type, and reads unknown types strictly (they fail). */
    public static EventTypeRegistry registry() {
        return EventTypeRegistry.builder()
                .register(OrderPlaced.class, OrderShipped.class)
                .unknownTypes(UnknownTypePolicy.FAIL)
                .build();
    }

    public static NewEvent orderPlaced() {
        long n = SEQUENCE.incrementAndGet();
        return NewEvent.of(
                new OrderPlaced("o-" + n, "customer-" + (n % 7), BigDecimal.valueOf(n, 2), List.of("sku-" + n)));
    }

    public static NewEvent orderShipped() {
        return NewEvent.of(new OrderShipped("o-" + SEQUENCE.incrementAndGet(), "ups"));
    }

    public static List<NewEvent> orderPlaced(int count) {
        return java.util.stream.IntStream.range(0, count)
                .mapToObj(i -> orderPlaced())
                .toList();
    }

    /** A stream id no other test uses. */
    public static StreamId uniqueStream(String category) {
        return StreamId.of(category, UUID.randomUUID().toString().substring(0, 13));
    }
}
