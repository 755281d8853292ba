package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class EventHandlerTest {
    private final MemoryEventBus bus = MemoryEventBus.create();

    @AfterEach
    void close_bus() {
        bus.close();
    }

    @EventType("user.registered")
    record UserRegistered(String name, boolean vip) {}

    @EventType("user.deleted")
    record UserDeleted(String name) {}

    static final class OnlyVips implements Predicate<RecordedEvent> {
        private OnlyVips() {}

        @Override
        public boolean test(RecordedEvent event) {
            return event.data() instanceof UserRegistered registered && registered.vip();
        }
    }

    static class BaseHandlers {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @EventHandler(value = "user.*", priority = -1)
        void inherited(RecordedEvent event) {
            calls.add("inherited " + event.type());
        }
    }

    static final class UserHandlers extends BaseHandlers {
        @EventHandler(value = "user.registered", priority = 10)
        void first(RecordedEvent event) {
            calls.add("first " + event.type());
        }

        @EventHandler(priority = 5)
        private void typed(UserRegistered registered) {
            calls.add("typed " + registered.name());
        }

        @EventHandler(value = "user.*", priority = 1, condition = OnlyVips.class)
        void vip(RecordedEvent event) {
            calls.add("vip " + event.dataAs(UserRegistered.class).name());
        }

        @EventHandler(value = "*", priority = 3)
        void anyDeleted(UserDeleted deleted) {
            calls.add("deleted " + deleted.name());
        }

        @EventHandler("user.registered")
        void failing(RecordedEvent event) {
            throw new IllegalStateException("handler failure must not stop the others");
        }

        void notAHandler(RecordedEvent event) {
            calls.add("not a handler");
        }
    }

    private void emitAndDrain(NewEvent... events) throws InterruptedException {
        Recorder recorder = new Recorder();
        SubscriptionId id = bus.subscribe("*", recorder, Integer.MIN_VALUE);
        for (NewEvent event : events) {
            bus.emit(event);
        }
        recorder.awaitCount(events.length);
        bus.unsubscribe(id);
    }

    @Test
    void annotated_methods_run_by_priority_with_their_conditions_and_payload_types() throws Exception {
        UserHandlers handlers = new UserHandlers();

        List<SubscriptionId> ids = bus.register(handlers);
        emitAndDrain(
                NewEvent.of(new UserRegistered("ada", false)),
                NewEvent.of(new UserRegistered("grace", true)),
                NewEvent.of(new UserDeleted("bob")));

        assertThat(ids).hasSize(6).doesNotHaveDuplicates();
        assertThat(handlers.calls)
                .containsExactly(
                        "first user.registered",
                        "typed ada",
                        "inherited user.registered",
                        "first user.registered",
                        "typed grace",
                        "vip grace",
                        "inherited user.registered",
                        "deleted bob",
                        "inherited user.deleted");
    }

    @Test
    void unsubscribing_the_registered_ids_stops_the_handlers() throws Exception {
        UserHandlers handlers = new UserHandlers();
        List<SubscriptionId> ids = bus.register(handlers);

        ids.forEach(bus::unsubscribe);
        emitAndDrain(NewEvent.of(new UserRegistered("ada", true)));

        assertThat(handlers.calls).isEmpty();
        assertThat(bus.subscriptionCount()).isZero();
    }

    static final class TwoParameters {
        @EventHandler("x")
        void handle(RecordedEvent event, String extra) {}
    }

    static final class NoPattern {
        @EventHandler
        void handle(RecordedEvent event) {}
    }

    static final class BadPattern {
        @EventHandler("user*")
        void handle(RecordedEvent event) {}
    }

    static final class UnannotatedPayload {
        @EventHandler
        void handle(String payload) {}
    }

    static final class Static {
        @EventHandler("x")
        static void handle(RecordedEvent event) {}
    }

    static final class Primitive {
        @EventHandler("x")
        void handle(int value) {}
    }

    static final class NoHandlers {
        void handle(RecordedEvent event) {}
    }

    static final class NeedsArgument implements Predicate<RecordedEvent> {
        NeedsArgument(String argument) {}

        @Override
        public boolean test(RecordedEvent event) {
            return true;
        }
    }

    static final class UncreatableCondition {
        @EventHandler("y")
        void good(RecordedEvent event) {}

        @EventHandler(value = "x", condition = NeedsArgument.class)
        void handle(RecordedEvent event) {}
    }

    @Test
    void a_malformed_handler_is_refused_naming_the_method_and_nothing_is_subscribed() {
        assertRefused(new TwoParameters(), "TwoParameters.handle", "exactly one parameter");
        assertRefused(new NoPattern(), "NoPattern.handle", "give the type pattern");
        assertRefused(new BadPattern(), "BadPattern.handle", "'user*'");
        assertRefused(new UnannotatedPayload(), "UnannotatedPayload.handle", "@EventType");
        assertRefused(new Static(), "Static.handle", "static");
        assertRefused(new Primitive(), "Primitive.handle", "int");
        assertRefused(new NoHandlers(), "NoHandlers", "no @EventHandler methods");
        assertRefused(new UncreatableCondition(), "UncreatableCondition.handle", "NeedsArgument");
    }

    private void assertRefused(Object handlers, String name, String reason) {
        Throwable thrown = catchThrowable(() -> bus.register(handlers));

        assertThat(thrown)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(name)
                .hasMessageContaining(reason);
        assertThat(bus.subscriptionCount()).isZero();
    }
}
