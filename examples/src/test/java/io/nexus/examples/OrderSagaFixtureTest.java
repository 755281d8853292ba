package io.nexus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.examples.OrderSaga.InventoryReservationFailed;
import io.nexus.examples.OrderSaga.InventoryReservationRequested;
import io.nexus.examples.OrderSaga.OrderCancelled;
import io.nexus.examples.OrderSaga.OrderCreated;
import io.nexus.examples.OrderSaga.PaymentCompleted;
import io.nexus.examples.OrderSaga.PaymentRequested;
import io.nexus.examples.OrderSaga.RefundRequested;
import io.nexus.sagas.testing.SagaFixture;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The order saga's decisions, given / when / then, without a database and without waiting for its deadline. */
class OrderSagaFixtureTest {
    private final SagaFixture<OrderSaga.State> fixture = SagaFixture.of(new OrderSaga(Duration.ofMinutes(15)));

    @Test
    void an_order_requests_its_payment_and_sets_the_payment_deadline() {
        SagaFixture.Result result = fixture.when(new OrderCreated("o-1", 4_200));

        assertThat(result.emittedData()).containsExactly(new PaymentRequested("o-1", 4_200));
        assertThat(fixture.deadlines("o-1"))
                .containsEntry("payment", fixture.now().plus(Duration.ofMinutes(15)));
    }

    @Test
    void a_payment_requests_the_inventory_and_cancels_the_deadline() {
        fixture.given(new OrderCreated("o-2", 4_200));

        SagaFixture.Result result = fixture.when(new PaymentCompleted("o-2"));

        assertThat(result.emittedData()).containsExactly(new InventoryReservationRequested("o-2"));
        assertThat(fixture.deadlines("o-2")).isEmpty();
        assertThat(fixture.whenTimePasses(Duration.ofHours(1)).emitted()).isEmpty();
    }

    @Test
    void nobody_paying_for_fifteen_minutes_cancels_the_order() {
        fixture.given(new OrderCreated("o-3", 4_200));

        SagaFixture.Result early = fixture.whenTimePasses(Duration.ofMinutes(14));
        SagaFixture.Result late = fixture.whenTimePasses(Duration.ofMinutes(1));

        assertThat(early.emitted()).isEmpty();
        assertThat(late.emittedData()).containsExactly(new OrderCancelled("o-3", "payment_timeout"));
        assertThat(late.endReasons()).containsExactly("cancelled");
    }

    @Test
    void no_stock_after_payment_is_compensated_by_a_refund_before_the_cancellation() {
        fixture.given(new OrderCreated("o-4", 4_200), new PaymentCompleted("o-4"));

        SagaFixture.Result result = fixture.when(new InventoryReservationFailed("o-4"));

        assertThat(result.emittedData())
                .containsExactly(new RefundRequested("o-4", 4_200), new OrderCancelled("o-4", "out_of_stock"));
        assertThat(result.endReasons()).containsExactly("compensated");
        assertThat(fixture.when(new PaymentCompleted("o-4")).recorded()).isEmpty();
    }
}
