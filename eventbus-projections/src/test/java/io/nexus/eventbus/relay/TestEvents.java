package io.nexus.eventbus.relay;

import io.nexus.eventstore.core.DataSubject;
import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.PersonalData;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** Small factories for recorded events as a durable subscription would hand them to a relay. */
public final class TestEvents {
    private TestEvents() {}

    /** A payload class for the typed round trip. */
    public record OrderPlaced(String orderId, long totalCents, Instant placedAt) {}

    /** A type in its third schema version: v1 had first and last names, v2 joined them, v3 added the tier. */
    @EventType(value = "customer.registered", version = 3)
    public record CustomerRegistered(String customerId, String name, String tier) {}

    /** The first part of the v1 {@code shop.checked_out}, which an upcaster splits in two. */
    @EventType("shop.order_placed")
    public record ShopOrderPlaced(String orderId) {}

    /** The second part of the v1 {@code shop.checked_out}. */
    @EventType("shop.order_paid")
    public record ShopOrderPaid(String orderId, long amountCents) {}

    /** A payload with a personal field, encrypted with its subject's key on the wire. */
    @EventType("customer.contact_changed")
    public record ContactChanged(
            @DataSubject String customerId,
            @PersonalData @Nullable String email,
            String plan) {}

    /** An event as an older release stored it: a raw payload in schema version 1. */
    public static RecordedEvent stored(long position, String type, String json) {
        return of(position, type, RawJson.of(json));
    }

    /** An event of {@code type} with payload {@code data}, without metadata. */
    public static RecordedEvent of(long position, String type, Object data) {
        return new RecordedEvent(
                StreamId.of("customer", position),
                1,
                position,
                UUID.randomUUID(),
                type,
                data,
                Map.of(),
                null,
                null,
                null,
                Instant.now().truncatedTo(ChronoUnit.MICROS));
    }

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
