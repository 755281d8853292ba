package io.nexus.eventbus;

import io.nexus.eventstore.core.RecordedEvent;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.function.Predicate;

/**
 * Marks a method as an event handler, to be subscribed by {@link EventBus#register(Object)}.
 *
 * <p>The method is an instance method with exactly one parameter, either a {@link RecordedEvent} (the whole envelope)
 * or a payload class. A payload-typed handler only receives events whose payload is an instance of that class, and may
 * leave out {@link #value()} when the class carries an {@link io.nexus.eventstore.core.EventType} annotation. Its
 * return value is ignored; what it throws is reported like any listener failure. It may be private.
 *
 * <pre>{@code
 * final class Welcomer {
 *     @EventHandler(value = "user.registered", priority = 10, condition = IsVip.class)
 *     void greet(RecordedEvent event) { ... }
 *
 *     @EventHandler // type name from @EventType on UserRegistered
 *     void count(UserRegistered registered) { ... }
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface EventHandler {
    /**
     * The {@link TypePattern type pattern}: {@code user.registered}, {@code *}, {@code user.*} or {@code *.error}.
     * Default: empty, meaning the {@link io.nexus.eventstore.core.EventType} name of the payload parameter's class.
     *
     * @return the type pattern, or empty for the payload class's type name
     */
    String value() default "";

    /**
     * {@return the priority: higher runs first among the handlers of one event, ties in subscription order; default 0}
     */
    int priority() default EventBus.DEFAULT_PRIORITY;

    /**
     * A condition the event must meet for this handler to run, checked after the type pattern. The class needs a
     * no-argument constructor (it may be private); {@link EventBus#register(Object)} creates one instance per handler
     * method and shares it across threads, so it must be thread-safe. A condition that throws counts as a failure of
     * the handler. Default: {@link Always}.
     *
     * @return the condition's class
     */
    Class<? extends Predicate<RecordedEvent>> condition() default Always.class;

    /** The default condition: every event that matches the type pattern. */
    final class Always implements Predicate<RecordedEvent> {
        @Override
        public boolean test(RecordedEvent event) {
            return true;
        }
    }
}
