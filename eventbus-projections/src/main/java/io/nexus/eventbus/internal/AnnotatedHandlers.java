package io.nexus.eventbus.internal;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.EventHandler;
import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.TypePattern;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.RecordedEvent;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Turns the {@link EventHandler} methods of an object into {@link Dispatcher.Registration}s. */
public final class AnnotatedHandlers {
    private AnnotatedHandlers() {}

    /**
     * One registration per annotated method of {@code target}'s class and superclasses; validates all of them before
     * returning any.
     *
     * @throws IllegalArgumentException naming the method when one is malformed, or when there is none
     */
    public static List<Dispatcher.Registration> scan(Object target) {
        requireNonNull(target, "handlers");
        List<Dispatcher.Registration> registrations = new ArrayList<>();
        for (Class<?> type = target.getClass(); type != null && type != Object.class; type = type.getSuperclass()) {
            for (Method method : type.getDeclaredMethods()) {
                EventHandler annotation = method.getAnnotation(EventHandler.class);
                if (annotation != null && !method.isBridge() && !method.isSynthetic()) {
                    registrations.add(registration(target, method, annotation));
                }
            }
        }
        if (registrations.isEmpty()) {
            throw new IllegalArgumentException(target.getClass().getName() + " has no @EventHandler methods");
        }
        return List.copyOf(registrations);
    }

    private static Dispatcher.Registration registration(Object target, Method method, EventHandler annotation) {
        String name = method.getDeclaringClass().getName() + "." + method.getName();
        if (Modifier.isStatic(method.getModifiers())) {
            throw new IllegalArgumentException("@EventHandler method " + name + " must not be static");
        }
        if (method.getParameterCount() != 1) {
            throw new IllegalArgumentException("@EventHandler method " + name
                    + " must take exactly one parameter (a RecordedEvent or a payload class), takes "
                    + method.getParameterCount());
        }
        Class<?> parameter = method.getParameterTypes()[0];
        if (parameter.isPrimitive()) {
            throw new IllegalArgumentException(
                    "@EventHandler method " + name + " takes a " + parameter + "; payloads are objects");
        }
        TypePattern pattern;
        try {
            pattern = pattern(annotation.value(), parameter);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("@EventHandler method " + name + ": " + e.getMessage(), e);
        }
        Predicate<RecordedEvent> condition = condition(name, annotation.condition());
        try {
            method.setAccessible(true);
        } catch (RuntimeException e) { // InaccessibleObjectException, SecurityException
            throw new IllegalArgumentException("@EventHandler method " + name + " is not accessible", e);
        }
        EventListener listener =
                event -> invoke(method, target, parameter == RecordedEvent.class ? event : event.data());
        if (parameter != RecordedEvent.class) {
            // A payload-typed handler only sees payloads of its class: that is part of what it subscribes to.
            Predicate<RecordedEvent> userCondition = condition;
            condition = event -> parameter.isInstance(event.data()) && userCondition.test(event);
        }
        return new Dispatcher.Registration(pattern, condition, listener, annotation.priority());
    }

    private static TypePattern pattern(String value, Class<?> parameter) {
        if (!value.isEmpty()) {
            return TypePattern.of(value);
        }
        if (parameter == RecordedEvent.class) {
            throw new IllegalArgumentException("give the type pattern: a RecordedEvent parameter names no type");
        }
        return TypePattern.of(EventTypeRegistry.annotatedName(parameter));
    }

    private static Predicate<RecordedEvent> condition(
            String name, Class<? extends Predicate<RecordedEvent>> conditionClass) {
        if (conditionClass == EventHandler.Always.class) {
            return event -> true;
        }
        try {
            Constructor<? extends Predicate<RecordedEvent>> constructor = conditionClass.getDeclaredConstructor();
            constructor.setAccessible(true);
            return constructor.newInstance();
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException(
                    "@EventHandler method " + name + ": cannot create condition " + conditionClass.getName()
                            + " (it needs a no-argument constructor and must not be abstract)",
                    e);
        }
    }

    private static void invoke(Method method, Object target, Object argument) throws Exception {
        try {
            method.invoke(target, argument);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception exception) {
                throw exception;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }
}
