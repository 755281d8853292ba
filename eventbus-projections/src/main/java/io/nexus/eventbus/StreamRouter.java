package io.nexus.eventbus;

import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;

/**
 * Chooses the stream an emitted event is recorded in, which gives it its {@link
 * io.nexus.eventstore.core.RecordedEvent#streamId() stream id} and stream version. Must be thread-safe and must not
 * return null.
 */
@FunctionalInterface
public interface StreamRouter {
    /**
     * The stream {@code event} belongs to.
     *
     * @param event the event being emitted
     * @return its stream
     */
    StreamId streamFor(NewEvent event);

    /**
     * The default: one stream per event type, named after the type ({@code user.registered} goes to the stream {@code
     * user.registered}). Every type name is a valid stream id.
     *
     * @return the router
     */
    static StreamRouter byType() {
        return event -> StreamId.of(event.type());
    }
}
