package io.nexus.examples.boot;

import io.nexus.eventbus.EventHandler;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.examples.OrderSaga;
import io.nexus.examples.OrderSaga.InventoryReservationRequested;
import io.nexus.examples.OrderSaga.InventoryReserved;
import io.nexus.examples.OrderSaga.PaymentCompleted;
import io.nexus.examples.OrderSaga.PaymentRequested;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * The payment service and the warehouse, played by one bean whose {@code @EventHandler} methods the starter subscribes:
 * every payment the saga requests succeeds, every reservation too, so a placed order ends confirmed.
 */
@Component
public class Shop {
    private final PostgresEventStore store;

    Shop(PostgresEventStore store) {
        this.store = store;
    }

    @EventHandler("payment.requested")
    void pay(RecordedEvent event) {
        String orderId = event.dataAs(PaymentRequested.class).orderId();
        store.append(
                OrderSaga.stream("payment", orderId),
                ExpectedVersion.any(),
                List.of(NewEvent.of(new PaymentCompleted(orderId))));
    }

    @EventHandler("inventory.reservation-requested")
    void reserve(RecordedEvent event) {
        String orderId = event.dataAs(InventoryReservationRequested.class).orderId();
        store.append(
                OrderSaga.stream("inventory", orderId),
                ExpectedVersion.any(),
                List.of(NewEvent.of(new InventoryReserved(orderId))));
    }
}
