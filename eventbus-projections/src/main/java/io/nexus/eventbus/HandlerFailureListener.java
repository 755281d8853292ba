package io.nexus.eventbus;

import io.nexus.eventstore.core.RecordedEvent;
import java.lang.System.Logger.Level;

/**
 * Told when a listener (or its condition) throws. The bus then goes on with the event's other listeners. Called on
 * the worker thread that ran the listener; it must be thread-safe and quick. What it throws is logged and ignored.
 */
@FunctionalInterface
public interface HandlerFailureListener {
    /**
     * Reports that the listener of {@code subscription} failed on {@code event} with {@code error}.
     *
     * @param subscription the subscription whose listener failed
     * @param event the event it failed on
     * @param error what it threw
     */
    void onFailure(SubscriptionId subscription, RecordedEvent event, Throwable error);

    /**
     * {@return the default listener, which logs each failure at {@code WARNING} through {@link System.Logger} {@code
     * io.nexus.eventbus}}
     */
    static HandlerFailureListener logging() {
        System.Logger logger = System.getLogger("io.nexus.eventbus");
        return (subscription, event, error) -> logger.log(
                Level.WARNING,
                () -> "subscription " + subscription + " failed on event " + event.eventId() + " of type '"
                        + event.type() + "'",
                error);
    }
}
