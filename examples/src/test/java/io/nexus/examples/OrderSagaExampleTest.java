package io.nexus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.examples.OrderSagaExample.Summary;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@PostgresTest
class OrderSagaExampleTest {
    private final TestDatabase database;

    OrderSagaExampleTest(TestDatabase database) {
        this.database = database;
    }

    @Test
    void every_order_ends_as_the_saga_decides_and_the_unpaid_one_is_cancelled_by_its_deadline() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        Summary summary =
                OrderSagaExample.run(database.dataSource(), new PrintStream(buffer, true, StandardCharsets.UTF_8));

        assertThat(summary.outcomes()).hasSize(4);
        Map<String, String> byKind = new java.util.HashMap<>();
        summary.outcomes().forEach((order, outcome) -> byKind.put(order.substring(0, order.lastIndexOf('-')), outcome));
        assertThat(byKind)
                .containsEntry("paid", "order.confirmed")
                .containsEntry("declined", "order.cancelled (payment_failed)")
                .containsEntry("no-stock", "order.cancelled (out_of_stock)")
                .containsEntry("unpaid", "order.cancelled (payment_timeout)");
        Map<String, List<String>> streams = new java.util.HashMap<>();
        summary.sagaStreams().forEach((order, types) -> streams.put(order.substring(0, order.lastIndexOf('-')), types));
        assertThat(streams.get("paid"))
                .containsExactly(
                        "saga.started",
                        "order-saga.payment-awaited",
                        "saga.deadline-set",
                        "order-saga.inventory-awaited",
                        "saga.deadline-cancelled",
                        "saga.ended");
        assertThat(streams.get("unpaid"))
                .containsExactly(
                        "saga.started",
                        "order-saga.payment-awaited",
                        "saga.deadline-set",
                        "saga.deadline-fired",
                        "saga.ended");
        assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("moving the saga's clock 16 minutes on");
    }
}
