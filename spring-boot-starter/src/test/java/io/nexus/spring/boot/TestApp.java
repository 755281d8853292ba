package io.nexus.spring.boot;

import io.nexus.eventbus.EventHandler;
import io.nexus.eventbus.Projection;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.sagas.Saga;
import io.nexus.sagas.Step;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jdbi.v3.core.Handle;

/** The beans an application declares, as the tests' contexts use them. */
final class TestApp {
    private TestApp() {}

    /** A bean with an {@code @EventHandler} method. */
    static final class Greeter {
        final List<String> greeted = new CopyOnWriteArrayList<>();

        @EventHandler("user.registered")
        void greet(RecordedEvent event) {
            greeted.add(String.valueOf(event.data()));
        }
    }

    /** Counts {@code user.registered} events per stream in the table {@code registrations}. */
    static final class Registrations implements Projection {
        @Override
        public String name() {
            return "registrations";
        }

        @Override
        public EventFilter filter() {
            return EventFilter.types("user.registered");
        }

        @Override
        public void apply(Handle handle, RecordedEvent event) {
            handle.createUpdate("INSERT INTO registrations (stream_id) VALUES (:stream)")
                    .bind("stream", event.streamId().value())
                    .execute();
        }

        @Override
        public void reset(Handle handle) {
            handle.execute("DELETE FROM registrations");
        }
    }

    /** What the saga emits. */
    @EventType("pong")
    record Pong(String ping) {}

    /** Answers every {@code ping} with a {@code pong} in the stream {@code pong-<id>}, then ends. */
    static final class PingSaga implements Saga<String> {
        @Override
        public String type() {
            return "ping";
        }

        @Override
        public Set<String> startedBy() {
            return Set.of("ping");
        }

        @Override
        public Optional<String> associationId(RecordedEvent event) {
            return Optional.of(event.streamId().value());
        }

        @Override
        public String initialState() {
            return "";
        }

        @Override
        public String evolve(String state, RecordedEvent sagaEvent) {
            return state;
        }

        @Override
        public Step on(String state, RecordedEvent event) {
            return Step.none()
                    .emit(
                            StreamId.of("pong", event.streamId().value()),
                            new Pong(event.streamId().value()))
                    .end("answered");
        }
    }
}
