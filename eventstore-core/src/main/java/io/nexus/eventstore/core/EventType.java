package io.nexus.eventstore.core;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Gives an event class its stable type name, such as {@code order.created}. The name is what the store records; the
 * Java class may be renamed or moved freely as long as the annotation keeps the name.
 *
 * <p>The {@link #version()} is the schema version of the class's shape: raise it when the shape changes, and register
 * an upcaster in the {@link EventTypeRegistry} from the version before, so events stored in older shapes still read.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface EventType {
    /** {@return the type name: 1 to 200 characters of letters, digits, {@code . _ - :}} */
    String value();

    /** {@return the schema version of this shape of the event, from 1; default 1} */
    int version() default 1;
}
