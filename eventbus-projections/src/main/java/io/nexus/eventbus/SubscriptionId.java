package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import java.util.UUID;

/** Identifies one subscription on one bus; pass it to {@link EventBus#unsubscribe(SubscriptionId)}. */
public record SubscriptionId(UUID value) {
    /**
     * Checks that there is a value.
     *
     * @param value the id's value
     */
    public SubscriptionId {
        requireNonNull(value, "value");
    }

    /** {@return a new, random subscription id} */
    public static SubscriptionId random() {
        return new SubscriptionId(UUID.randomUUID());
    }

    @Override
    public String toString() {
        return value.toString();
    }
}
