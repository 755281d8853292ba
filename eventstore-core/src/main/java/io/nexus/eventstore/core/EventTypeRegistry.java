package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Maps stable type names ({@code order.created}) to the Java classes their payloads decode to. Immutable and
 * thread-safe once built.
 *
 * <pre>{@code
 * EventTypeRegistry types = EventTypeRegistry.builder()
 *         .register(OrderCreated.class)                // name from its @EventType annotation
 *         .register("order.shipped", OrderShipped.class)
 *         .build();
 * }</pre>
 *
 * <p>Reading an event whose type is not registered throws {@link UnknownEventTypeException}, unless the registry was
 * built with {@link Builder#unknownTypesAsRawJson()}, in which case its payload is returned as {@link RawJson}.
 */
public final class EventTypeRegistry {
    /** The longest type name accepted, in characters. */
    public static final int MAX_TYPE_NAME_LENGTH = 200;

    private static final Pattern TYPE_NAME = Pattern.compile("[A-Za-z0-9._:\\-]+");

    private static final ClassValue<String> ANNOTATED_NAMES = new ClassValue<>() {
        @Override
        protected String computeValue(Class<?> type) {
            EventType annotation = type.getAnnotation(EventType.class);
            if (annotation == null) {
                throw new IllegalArgumentException(
                        type.getName() + " has no @EventType annotation: annotate it or give the type name explicitly");
            }
            return checkTypeName(annotation.value());
        }
    };

    private final Map<String, Class<?>> classesByName;
    private final Map<Class<?>, String> namesByClass;
    private final boolean unknownTypesAsRawJson;

    private EventTypeRegistry(Builder builder) {
        this.classesByName = Map.copyOf(builder.classesByName);
        this.namesByClass = Map.copyOf(builder.namesByClass);
        this.unknownTypesAsRawJson = builder.unknownTypesAsRawJson;
    }

    /** {@return a builder for a registry; nothing is registered by default} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return an empty registry that returns every payload as {@link RawJson}} */
    public static EventTypeRegistry rawJson() {
        return builder().unknownTypesAsRawJson().build();
    }

    /**
     * Looks up the class of a type name.
     *
     * @param typeName the stored type name
     * @return the class registered for {@code typeName}, if any
     */
    public Optional<Class<?>> classOf(String typeName) {
        return Optional.ofNullable(classesByName.get(typeName));
    }

    /**
     * Looks up the type name of a class.
     *
     * @param type the event class
     * @return the type name registered for {@code type}, if any
     */
    public Optional<String> nameOf(Class<?> type) {
        return Optional.ofNullable(namesByClass.get(type));
    }

    /** {@return whether unknown type names read as {@link RawJson} instead of failing} */
    public boolean unknownTypesAsRawJson() {
        return unknownTypesAsRawJson;
    }

    /**
     * Reads the type name a class declares.
     *
     * @param type the event class
     * @return the name in {@code type}'s {@link EventType} annotation
     * @throws IllegalArgumentException if {@code type} has no such annotation or its name is not valid
     */
    public static String annotatedName(Class<?> type) {
        return ANNOTATED_NAMES.get(requireNonNull(type, "type"));
    }

    /**
     * Checks a type name: 1 to 200 characters of letters, digits and {@code . _ : -}.
     *
     * @param name the type name to check
     * @return {@code name}, so the check can be used inline
     * @throws IllegalArgumentException if the name is not valid, saying why
     */
    public static String checkTypeName(String name) {
        requireNonNull(name, "type name");
        if (name.isEmpty()
                || name.length() > MAX_TYPE_NAME_LENGTH
                || !TYPE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("event type name must be 1 to " + MAX_TYPE_NAME_LENGTH
                    + " characters of letters, digits and . _ : -, was '" + name + "'");
        }
        return name;
    }

    /** Collects type registrations; not thread-safe. */
    public static final class Builder {
        private final Map<String, Class<?>> classesByName = new HashMap<>();
        private final Map<Class<?>, String> namesByClass = new HashMap<>();
        private boolean unknownTypesAsRawJson;

        private Builder() {}

        /**
         * Registers each class under the name of its {@link EventType} annotation.
         *
         * @param types the event classes
         * @return this builder
         * @throws IllegalArgumentException if a class has no annotation, or a name or class is already taken
         */
        public Builder register(Class<?>... types) {
            for (Class<?> type : types) {
                register(annotatedName(type), type);
            }
            return this;
        }

        /**
         * Registers {@code type} under {@code name}; a name maps to one class and a class to one name.
         *
         * @param name the type name to record
         * @param type the event class
         * @return this builder
         * @throws IllegalArgumentException if the name is not valid, or the name or the class is already taken
         */
        public Builder register(String name, Class<?> type) {
            checkTypeName(name);
            requireNonNull(type, "type");
            Class<?> previous = classesByName.get(name);
            if (previous != null && previous != type) {
                throw new IllegalArgumentException("type name '" + name + "' is already registered for "
                        + previous.getName() + ", cannot register it for " + type.getName());
            }
            String previousName = namesByClass.get(type);
            if (previousName != null && !previousName.equals(name)) {
                throw new IllegalArgumentException(
                        type.getName() + " is already registered as '" + previousName + "', cannot add '" + name + "'");
            }
            classesByName.put(name, type);
            namesByClass.put(type, name);
            return this;
        }

        /**
         * Reads payloads of unregistered types as {@link RawJson} instead of throwing. Default: throw.
         *
         * @return this builder
         */
        public Builder unknownTypesAsRawJson() {
            this.unknownTypesAsRawJson = true;
            return this;
        }

        /** {@return an immutable registry of what was registered so far} */
        public EventTypeRegistry build() {
            return new EventTypeRegistry(this);
        }
    }
}
