package io.nexus.benchmarks;

import io.nexus.eventstore.core.EventType;
import java.math.BigDecimal;
import java.util.List;

/**
 * The one payload every workload writes and reads: an order with three items, about 270 bytes of JSON.
 *
 * @param orderId the order's id
 * @param userId the customer
 * @param amount the total
 * @param currency ISO 4217 code
 * @param items the lines of the order
 */
@EventType("order.created")
public record OrderCreated(String orderId, String userId, BigDecimal amount, String currency, List<Item> items) {
    public OrderCreated {
        items = List.copyOf(items);
    }

    /**
     * One line of an order.
     *
     * @param sku the article number
     * @param quantity how many
     * @param unitPrice the price of one
     */
    public record Item(String sku, int quantity, BigDecimal unitPrice) {}
}
