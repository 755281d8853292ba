package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Where a durable subscription or a projection stands, as its row in the {@code subscriptions} table says, read
 * from the database whichever process owns it: {@link PostgresEventBus#status(String)} for durable subscriptions,
 * {@link ProjectionDaemon#status(String)} for projections.
 *
 * @param name the subscription's or projection's name
 * @param kind which of the two it is
 * @param status active, paused or rebuilding
 * @param checkpoint the global position of the last event processed (0 for none)
 * @param head the head of the global order when this was read
 * @param owner the process holding the lease, or null when none does
 * @param leaseExpiresAt when that lease runs out (the database's clock), or null when none is held
 * @param lastError the latest failure recorded, or null when none was
 * @param lastErrorAt when it was recorded, or null
 * @param removedEvents how many events retention removed before this subscriber processed them (a forced run, or a
 *     subscriber that started or replayed after events were removed); they were never delivered to it
 * @param removedEventsAt when it last found such events gone, or null when it never did
 */
public record SubscriptionStatus(
        SubscriptionName name,
        Kind kind,
        ProjectionStatus status,
        long checkpoint,
        long head,
        @Nullable String owner,
        @Nullable Instant leaseExpiresAt,
        @Nullable String lastError,
        @Nullable Instant lastErrorAt,
        long removedEvents,
        @Nullable Instant removedEventsAt) {

    /** Whether a row of {@code subscriptions} is a durable subscription or a projection. */
    public enum Kind {
        /** A durable subscription of a {@link PostgresEventBus}. */
        SUBSCRIPTION,
        /** A projection of a {@link ProjectionDaemon}. */
        PROJECTION
    }

    /**
     * Checks that the required components are there and that the positions are not negative.
     *
     * @param name the subscription's or projection's name
     * @param kind which of the two it is
     * @param status active, paused or rebuilding
     * @param checkpoint the global position of the last event processed (0 for none)
     * @param head the head of the global order when this was read
     * @param owner the process holding the lease, or null when none does
     * @param leaseExpiresAt when that lease runs out (the database's clock), or null when none is held
     * @param lastError the latest failure recorded, or null when none was
     * @param lastErrorAt when it was recorded, or null
     * @param removedEvents how many events retention removed before this subscriber processed them
     * @param removedEventsAt when it last found such events gone, or null when it never did
     * @throws IllegalArgumentException if the checkpoint, the head or the count of removed events is negative
     */
    public SubscriptionStatus {
        requireNonNull(name, "name");
        requireNonNull(kind, "kind");
        requireNonNull(status, "status");
        if (removedEvents < 0) {
            throw new IllegalArgumentException("removedEvents must be >= 0, was " + removedEvents);
        }
        if (checkpoint < 0 || head < 0) {
            throw new IllegalArgumentException("checkpoint and head must be >= 0, were " + checkpoint + " and " + head);
        }
    }

    /** {@return how many positions the checkpoint is behind the head; never negative} */
    public long lag() {
        return Math.max(0, head - checkpoint);
    }
}
