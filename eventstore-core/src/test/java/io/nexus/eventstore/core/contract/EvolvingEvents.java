package io.nexus.eventstore.core.contract;

import io.nexus.eventstore.core.DataSubject;
import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.PersonalData;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.VersionedJson;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Events whose shape changed over time, and the registry that reads every old shape as the current one: a chain
 * {@code customer.registered} v1 → v2 (a field added) → v3 (two fields merged), a rename ({@code client.signed_up} v1
 * is {@code customer.registered} v1), and a split ({@code shop.checked_out} v1 is {@code shop.order_placed} and {@code
 * shop.order_paid}). Also an event with personal data.
 */
public final class EvolvingEvents {
    private EvolvingEvents() {}

    /** The current shape: v3. */
    @EventType(value = "customer.registered", version = 3)
    public record CustomerRegistered(String customerId, String name, String country) {}

    @EventType("shop.order_placed")
    public record OrderPlaced(String orderId, BigDecimal amount) {}

    @EventType("shop.order_paid")
    public record OrderPaid(String orderId, BigDecimal amount) {}

    /** An event whose name and e-mail are personal data of the customer it names. */
    @EventType("customer.contact_changed")
    public record ContactChanged(
            @DataSubject String customerId,
            @PersonalData String name,
            @PersonalData String email,
            String plan) {}

    /** An address whose street is personal data of whoever the event names. */
    public record Address(@PersonalData String street, String city) {}

    /** A customer nested in an event: a personal field of its own, and addresses. */
    public record Customer(String name, @PersonalData String email, List<Address> addresses) {}

    /** An event whose personal data sits only in nested records, lists and maps. */
    @EventType("customer.onboarded")
    public record CustomerOnboarded(
            @DataSubject String customerId, Customer customer, Map<String, Address> byLabel, String plan) {}

    /** A {@link CustomerOnboarded} with personal values that name {@code who} (e-mail, streets). */
    public static CustomerOnboarded onboarded(String subject, String who) {
        return new CustomerOnboarded(
                subject,
                new Customer(
                        "Customer " + who,
                        who + "@example.org",
                        List.of(new Address(who + " Street 1", "London"), new Address(who + " Lane 2", "Paris"))),
                Map.of("home", new Address(who + " Road 3", "Rome")),
                "gold");
    }

    /** What {@link #onboarded} reads as once {@code subject} was erased. */
    public static CustomerOnboarded onboardedErased(String subject, String who) {
        return new CustomerOnboarded(
                subject,
                new Customer("Customer " + who, null, List.of(new Address(null, "London"), new Address(null, "Paris"))),
                Map.of("home", new Address(null, "Rome")),
                "gold");
    }

    /** Reads every old shape as the current one. */
    public static EventTypeRegistry registry() {
        return builder().build();
    }

    /** {@link #registry()}'s registrations, to add to. */
    public static EventTypeRegistry.Builder builder() {
        return EventTypeRegistry.builder()
                .register(
                        CustomerRegistered.class,
                        OrderPlaced.class,
                        OrderPaid.class,
                        ContactChanged.class,
                        CustomerOnboarded.class)
                .upcastData("customer.registered", 1, data -> data.put("country", "NL"))
                .upcastData(
                        "customer.registered",
                        2,
                        data -> data.put("name", data.remove("firstName") + " " + data.remove("lastName")))
                .rename("client.signed_up", 1, "customer.registered", 1)
                .upcast("shop.checked_out", 1, stored -> {
                    Map<String, Object> placed = new LinkedHashMap<>();
                    placed.put("orderId", stored.data().get("orderId"));
                    placed.put("amount", stored.data().get("amount"));
                    Map<String, Object> paid = new LinkedHashMap<>(placed);
                    return List.of(
                            VersionedJson.of("shop.order_placed", 1, placed),
                            VersionedJson.of("shop.order_paid", 1, paid));
                });
    }

    /** A registry that writes {@code customer.registered} at {@code version}, as an application of that time did. */
    public static EventTypeRegistry writerAt(int version) {
        return EventTypeRegistry.builder()
                .register("customer.registered", version, RawJson.class)
                .build();
    }

    /** {@code customer.registered} as version 1 wrote it. */
    public static NewEvent customerV1(String id, String first, String last) {
        return NewEvent.of(
                "customer.registered",
                RawJson.of("{\"customerId\":\"" + id + "\",\"firstName\":\"" + first + "\",\"lastName\":\"" + last
                        + "\"}"));
    }

    /** {@code customer.registered} as version 2 wrote it. */
    public static NewEvent customerV2(String id, String first, String last, String country) {
        return NewEvent.of(
                "customer.registered",
                RawJson.of("{\"customerId\":\"" + id + "\",\"firstName\":\"" + first + "\",\"lastName\":\"" + last
                        + "\",\"country\":\"" + country + "\"}"));
    }

    /** The old name of {@code customer.registered}, version 1. */
    public static NewEvent clientSignedUp(String id, String first, String last) {
        return NewEvent.of(
                "client.signed_up",
                RawJson.of("{\"customerId\":\"" + id + "\",\"firstName\":\"" + first + "\",\"lastName\":\"" + last
                        + "\"}"));
    }

    /** The event that is now two. */
    public static NewEvent checkedOut(String orderId, String amount) {
        return NewEvent.of(
                "shop.checked_out", RawJson.of("{\"orderId\":\"" + orderId + "\",\"amount\":" + amount + "}"));
    }
}
