package io.nexus.benchmarks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.json.JacksonEventSerializer;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The realistic event of every workload (about 270 bytes of payload JSON and 170 of metadata), and its JSON for the raw baselines. Both sides start from the same Java
 * objects: Nexus serializes them inside {@code append}, the raw baseline with the same Jackson configuration.
 */
final class Payloads {
    static final String TYPE = "order.created";
    static final String SOURCE = "order-service";
    static final OrderCreated ORDER = new OrderCreated(
            "3f6c2a9e-7b1d-4c8a-9e2f-5d4b3a2c1e0f",
            "user-000042",
            new BigDecimal("149.97"),
            "EUR",
            List.of(
                    new OrderCreated.Item("SKU-1001", 1, new BigDecimal("29.99")),
                    new OrderCreated.Item("SKU-2002", 2, new BigDecimal("44.99")),
                    new OrderCreated.Item("SKU-3003", 1, new BigDecimal("30.00"))));
    static final Map<String, String> METADATA = metadata();

    private static final ObjectWriter DATA_WRITER =
            JacksonEventSerializer.defaultMapper().writerFor(OrderCreated.class);
    private static final ObjectWriter METADATA_WRITER =
            JacksonEventSerializer.defaultMapper().writerFor(new TypeReference<Map<String, String>>() {});

    private Payloads() {}

    private static Map<String, String> metadata() {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        metadata.put("tenant", "acme-eu");
        metadata.put("client-ip", "203.0.113.42");
        metadata.put("user-agent", "checkout-web/4.12.0 (Linux; x64)");
        return Map.copyOf(metadata);
    }

    /** A new event with a fresh id, the shared payload and a full envelope. */
    static NewEvent newEvent() {
        return new NewEvent(UUID.randomUUID(), TYPE, ORDER, METADATA, UUID.randomUUID(), UUID.randomUUID(), SOURCE);
    }

    /** The payload as JSON, serialized now (the raw baseline pays what Nexus pays). */
    static String dataJson() {
        try {
            return DATA_WRITER.writeValueAsString(ORDER);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The metadata as JSON, serialized now. */
    static String metadataJson() {
        try {
            return METADATA_WRITER.writeValueAsString(METADATA);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
