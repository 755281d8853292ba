package io.nexus.eventbus.relay;

import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;

/** Small factories for recorded events as a durable subscription would hand them to a relay. */
public final class TestEvents {
    private TestEvents() {}

    /** A payload class for the typed round trip. */
    public record OrderPlaced(String orderId, long totalCents, Instant placedAt) {}

    public static RecordedEvent event(long position, String type) {
        return new RecordedEvent(
                StreamId.of("order", position),
                1,
                position,
                UUID.randomUUID(),
                type,
                RawJson.of("{\"n\":" + position + "}"),
                Map.of(),
                null,
                null,
                null,
                Instant.now().truncatedTo(ChronoUnit.MICROS));
    }

    public static RecordedEvent fullyPopulated(Object data) {
        return new RecordedEvent(
                StreamId.of("order-42"),
                7,
                12345,
                UUID.randomUUID(),
                "order.placed",
                data,
                Map.of("tenant", "acme", "user", "ann"),
                UUID.randomUUID(),
                UUID.randomUUID(),
                "checkout-service",
                Instant.parse("2026-11-27T05:00:00.123456Z"));
    }
}
