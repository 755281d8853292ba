package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.StreamId;
import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * An event a durable subscription gave up on after all retries, as the {@code dead_letters} table keeps it until it is
 * re-delivered or discarded.
 *
 * <p>A re-delivery asked for from outside the owning process ({@link DeadLetters#requestRetry}, {@code nexus
 * dead-letters retry}) is pending until the owner of the subscription has run it: {@link #retryRequestedAt()} is set
 * meanwhile.
 *
 * @param id the dead letter's id, for {@link PostgresEventBus#redeliver(long)} and {@link
 *     PostgresEventBus#discardDeadLetter(long)}
 * @param subscription the durable subscription that failed on it
 * @param position the event's global position
 * @param eventId the event's id
 * @param streamId the event's stream
 * @param type the event's type
 * @param attempts how often it was tried, over all deliveries and re-deliveries
 * @param error the last failure: the exception and its stack trace, truncated
 * @param failedAt when it last failed (the database's clock)
 * @param retryRequestedAt when a re-delivery was asked for that the subscription's owner has not run yet; null when
 *     none is pending
 */
public record DeadLetter(
        long id,
        String subscription,
        long position,
        UUID eventId,
        StreamId streamId,
        String type,
        int attempts,
        String error,
        Instant failedAt,
        @Nullable Instant retryRequestedAt) {

    /**
     * Checks that the required components are there.
     *
     * @param id the dead letter's id, for {@link PostgresEventBus#redeliver(long)} and {@link
     *     PostgresEventBus#discardDeadLetter(long)}
     * @param subscription the durable subscription that failed on it
     * @param position the event's global position
     * @param eventId the event's id
     * @param streamId the event's stream
     * @param type the event's type
     * @param attempts how often it was tried, over all deliveries and re-deliveries
     * @param error the last failure: the exception and its stack trace, truncated
     * @param failedAt when it last failed (the database's clock)
     * @param retryRequestedAt when a pending re-delivery was asked for; null when none is pending
     */
    public DeadLetter {
        requireNonNull(subscription, "subscription");
        requireNonNull(eventId, "eventId");
        requireNonNull(streamId, "streamId");
        requireNonNull(type, "type");
        requireNonNull(error, "error");
        requireNonNull(failedAt, "failedAt");
    }
}
