package io.nexus.eventstore.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nexus.eventstore.core.EventSerializationException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JacksonEventSerializerTest {
    record OrderPlaced(String orderId, Instant placedAt) {}

    private final JacksonEventSerializer serializer = JacksonEventSerializer.create();

    @Test
    void java_time_values_are_written_as_iso_text_and_read_back() {
        OrderPlaced order = new OrderPlaced("42", Instant.parse("2026-11-27T04:00:00.123Z"));

        String json = serializer.serialize("order.placed", order);

        assertThat(json).contains("\"2026-11-27T04:00:00.123Z\"");
        assertThat(serializer.deserialize("order.placed", json, OrderPlaced.class))
                .isEqualTo(order);
    }

    @Test
    void unknown_properties_are_ignored_on_read() {
        String json = "{\"orderId\":\"42\",\"placedAt\":\"2026-11-27T04:00:00Z\",\"addedLater\":1}";

        OrderPlaced order = serializer.deserialize("order.placed", json, OrderPlaced.class);

        assertThat(order.orderId()).isEqualTo("42");
    }

    @Test
    void json_that_does_not_fit_the_class_is_a_serialization_error_naming_the_type() {
        assertThatThrownBy(() -> serializer.deserialize("order.placed", "[1,2]", OrderPlaced.class))
                .isInstanceOf(EventSerializationException.class)
                .hasMessageContaining(OrderPlaced.class.getName());
    }
}
