package io.nexus.spring.boot;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * A durable subscription or projection as the {@code nexus} endpoint
 * lists it: one row of the store's {@code subscriptions} table with its lag behind the head.
 *
 * @param name its name
 * @param kind {@code subscription} or {@code projection}
 * @param status {@code active}, {@code paused} or {@code rebuilding}
 * @param checkpoint the last global position it processed
 * @param lag how many positions it is behind the head, never negative
 * @param owner the process holding its lease, or null when none does
 * @param lastError its latest failure, or null
 */
public record SubscriberState(
        String name,
        String kind,
        String status,
        long checkpoint,
        long lag,
        @Nullable String owner,
        @Nullable String lastError) {

    /**
     * Checks the required components.
     *
     * @param name its name
     * @param kind {@code subscription} or {@code projection}
     * @param status {@code active}, {@code paused} or {@code rebuilding}
     * @param checkpoint the last global position it processed
     * @param lag how many positions it is behind the head
     * @param owner the process holding its lease, or null
     * @param lastError its latest failure, or null
     */
    public SubscriberState {
        requireNonNull(name, "name");
        requireNonNull(kind, "kind");
        requireNonNull(status, "status");
    }
}
