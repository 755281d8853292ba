package io.nexus.eventbus;

import io.nexus.eventstore.core.RecordedEvent;

/**
 * Receives the events of one subscription; the functional form of an {@link EventHandler} method.
 *
 * <p>A listener may be called from any of the bus's worker threads, and, when the bus has more than one worker,
 * concurrently with itself: it must be thread-safe unless the bus has a single worker. Whatever it throws is reported
 * to the bus's {@link HandlerFailureListener} and does not stop the other listeners of the event.
 */
@FunctionalInterface
public interface EventListener {
    /**
     * Handles one event; events it emits meanwhile inherit its correlation id and take its id as causation id.
     *
     * @param event the event
     * @throws Exception to report a failure: a durable subscription retries the event and dead-letters it once its
     *     retries are spent; an in-process subscription reports it to the {@link HandlerFailureListener}
     */
    void handle(RecordedEvent event) throws Exception;
}
