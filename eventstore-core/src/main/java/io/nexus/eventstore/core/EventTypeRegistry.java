package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
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
 * <p>Reading an event whose type is not registered returns its payload as {@link RawJson} (the default {@link
 * UnknownTypePolicy#RAW_JSON}), so one unknown type never makes a stream unreadable; a registry built with {@link
 * UnknownTypePolicy#FAIL} throws {@link UnknownEventTypeException} instead.
 *
 * <p><b>Schema versions and upcasters.</b> Each type name has a current schema version: the {@link EventType#version()}
 * of its class, or, for a type without a class, the highest version its upcasters produce (1 when none). The store
 * records the version an event is written in and, on every read, runs the upcasters registered here from that version
 * on, on the payload's JSON object, before decoding it:
 *
 * <pre>{@code
 * EventTypeRegistry types = EventTypeRegistry.builder()
 *         .register(OrderCreated.class)                                   // @EventType(value = "order.created", version = 3)
 *         .upcastData("order.created", 1, data -> data.put("currency", "EUR"))                      // v1 -> v2
 *         .upcastData("order.created", 2, data -> data.put("customer",                              // v2 -> v3: merge
 *                 data.remove("firstName") + " " + data.remove("lastName")))
 *         .rename("order.placed", 1, "order.created", 1)                  // an old name, read as order.created v1
 *         .build();
 * }</pre>
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

    /** The most upcasters one stored payload may pass through; more means the upcasters loop. */
    static final int MAX_UPCAST_STEPS = 100;

    private final Map<String, Class<?>> classesByName;
    private final Map<Class<?>, String> namesByClass;
    private final Map<String, Integer> versionsByName;
    private final Map<String, Map<Integer, Upcaster>> upcasters;
    private final Map<String, Set<String>> renamedFrom;
    private final Set<String> upcastToAnyType;
    private final UnknownTypePolicy unknownTypes;

    private EventTypeRegistry(Builder builder) {
        this.classesByName = Map.copyOf(builder.classesByName);
        this.namesByClass = Map.copyOf(builder.namesByClass);
        Map<String, Integer> versions = new HashMap<>();
        Map<String, Map<Integer, Upcaster>> steps = new HashMap<>();
        builder.upcasters.forEach((type, byVersion) -> steps.put(type, Map.copyOf(byVersion)));
        builder.reachedVersions.forEach(versions::put);
        builder.classVersions.forEach(versions::put); // a class's version wins: it is what the store writes
        builder.classVersions.forEach((type, version) -> {
            for (int from : steps.getOrDefault(type, Map.of()).keySet()) {
                if (from >= version) {
                    throw new IllegalArgumentException("an upcaster takes '" + type + "' from version " + from
                            + ", but its class is version "
                            + version + ": raise the version in its @EventType, or remove the upcaster");
                }
            }
        });
        this.versionsByName = Map.copyOf(versions);
        this.upcasters = Map.copyOf(steps);
        Map<String, Set<String>> renames = new HashMap<>();
        builder.renamedFrom.forEach((type, old) -> renames.put(type, Set.copyOf(old)));
        this.renamedFrom = Map.copyOf(renames);
        this.upcastToAnyType = Set.copyOf(builder.upcastToAnyType);
        this.unknownTypes = builder.unknownTypes;
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
        return unknownTypes == UnknownTypePolicy.RAW_JSON;
    }

    /** {@return what reads do with type names that have no class; default {@link UnknownTypePolicy#RAW_JSON}} */
    public UnknownTypePolicy unknownTypes() {
        return unknownTypes;
    }

    /**
     * The current schema version of a type: the one the store writes it in, and the one reads upcast it to.
     *
     * @param typeName a type name
     * @return its class's {@link EventType#version()}; for a type without a class, the highest version its upcasters
     *     produce; else 1
     */
    public int versionOf(String typeName) {
        Integer version = versionsByName.get(typeName);
        return version == null ? 1 : version;
    }

    /**
     * Tells whether an upcaster takes a payload of {@code typeName} at {@code version}; reads that find none skip the
     * upcasting step, so types that never changed cost nothing.
     *
     * @param typeName the stored type name
     * @param version the stored schema version
     * @return whether a payload there is upcast
     */
    public boolean hasUpcaster(String typeName, int version) {
        Map<Integer, Upcaster> steps = upcasters.get(typeName);
        return steps != null && steps.containsKey(version);
    }

    /**
     * The filter to run against stored type names so that {@code filter} misses no event that reads as one of its
     * types: its types, the old names renamed to them (transitively), and every type whose upcasters may return any
     * type (splits). Events it finds may read as other types, so a reader filters the decoded events again.
     *
     * @param filter a filter over the types events read as
     * @return the filter over stored types; {@code filter} itself when no upcaster changes a type it names
     */
    public EventFilter storedFilter(EventFilter filter) {
        if (filter.types().isEmpty() || (renamedFrom.isEmpty() && upcastToAnyType.isEmpty())) {
            return filter;
        }
        Set<String> stored = new HashSet<>(filter.types());
        List<String> toVisit = new ArrayList<>(filter.types());
        while (!toVisit.isEmpty()) {
            for (String old : renamedFrom.getOrDefault(toVisit.remove(toVisit.size() - 1), Set.of())) {
                if (stored.add(old)) {
                    toVisit.add(old);
                }
            }
        }
        stored.addAll(upcastToAnyType);
        return stored.equals(filter.types()) ? filter : new EventFilter(stored, filter.categories());
    }

    /**
     * Runs the upcasters on a stored payload, again on each result, until no upcaster takes it.
     *
     * @param stored the stored payload, its data mutable
     * @param where where the event was met (its stream and version), for error messages
     * @return the payloads it becomes, in order; {@code stored} alone when no upcaster takes it
     * @throws EventSerializationException if an upcaster fails or returns nothing, naming the type, version and where,
     *     or the upcasters loop
     */
    public List<VersionedJson> upcast(VersionedJson stored, String where) {
        if (!hasUpcaster(stored.type(), stored.version())) {
            return List.of(stored);
        }
        List<VersionedJson> done = new ArrayList<>(2);
        upcastInto(stored, where, done, 0);
        return done;
    }

    private void upcastInto(VersionedJson payload, String where, List<VersionedJson> done, int steps) {
        Map<Integer, Upcaster> byVersion = upcasters.get(payload.type());
        Upcaster upcaster = byVersion == null ? null : byVersion.get(payload.version());
        if (upcaster == null) {
            done.add(payload);
            return;
        }
        if (steps >= MAX_UPCAST_STEPS) {
            throw new EventSerializationException(
                    payload.type(),
                    "the upcasters loop: still upcasting at version " + payload.version() + " after " + MAX_UPCAST_STEPS
                            + " steps, " + where);
        }
        List<VersionedJson> next;
        try {
            next = upcaster.upcast(payload);
        } catch (RuntimeException e) {
            throw new EventSerializationException(
                    payload.type(), "its upcaster from version " + payload.version() + " failed " + where, e);
        }
        if (next == null || next.isEmpty()) {
            throw new EventSerializationException(
                    payload.type(),
                    "its upcaster from version " + payload.version() + " returned no payload " + where
                            + "; an upcaster returns at least one");
        }
        for (VersionedJson result : next) {
            upcastInto(requireNonNull(result, "an upcaster's result"), where, done, steps + 1);
        }
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
        private final Map<String, Integer> classVersions = new HashMap<>();
        private final Map<String, Integer> reachedVersions = new HashMap<>();
        private final Map<String, Map<Integer, Upcaster>> upcasters = new HashMap<>();
        private final Map<String, Set<String>> renamedFrom = new HashMap<>();
        private final Set<String> upcastToAnyType = new HashSet<>();
        private UnknownTypePolicy unknownTypes = UnknownTypePolicy.RAW_JSON;

        private Builder() {}

        /**
         * Registers each class under the name and schema version of its {@link EventType} annotation.
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
            requireNonNull(type, "type");
            EventType annotation = type.getAnnotation(EventType.class);
            return register(name, annotation == null ? 1 : annotation.version(), type);
        }

        /**
         * Registers {@code type} under {@code name} as schema version {@code version} of that name.
         *
         * @param name the type name to record
         * @param version the schema version of the class's shape, from 1
         * @param type the event class
         * @return this builder
         * @throws IllegalArgumentException if the name or version is not valid, or the name or the class is already
         *     taken
         */
        public Builder register(String name, int version, Class<?> type) {
            checkTypeName(name);
            requireNonNull(type, "type");
            checkVersion(name, version);
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
            Integer previousVersion = classVersions.get(name);
            if (previousVersion != null && previousVersion != version) {
                throw new IllegalArgumentException("type name '" + name + "' is already registered as version "
                        + previousVersion + ", cannot register it as version " + version);
            }
            classesByName.put(name, type);
            namesByClass.put(type, name);
            classVersions.put(name, version);
            return this;
        }

        /**
         * Registers an upcaster for payloads of {@code type} stored at schema version {@code fromVersion}. It may
         * return the same type one version later, another type (a rename) or several payloads (a split). Unless it
         * has a class, the type's current version counts as at least {@code fromVersion + 1}.
         *
         * @param type the stored type name
         * @param fromVersion the stored schema version it takes, from 1
         * @param upcaster the upcaster, thread-safe
         * @return this builder
         * @throws IllegalArgumentException if the name or version is not valid, or an upcaster is already registered
         *     there
         */
        public Builder upcast(String type, int fromVersion, Upcaster upcaster) {
            addStep(type, fromVersion, upcaster);
            upcastToAnyType.add(type); // it may return any type: filtered reads must look at it
            return this;
        }

        private Builder addStep(String type, int fromVersion, Upcaster upcaster) {
            checkTypeName(type);
            checkVersion(type, fromVersion);
            requireNonNull(upcaster, "upcaster");
            Map<Integer, Upcaster> byVersion = upcasters.computeIfAbsent(type, t -> new HashMap<>());
            if (byVersion.containsKey(fromVersion)) {
                throw new IllegalArgumentException(
                        "an upcaster for '" + type + "' from version " + fromVersion + " is already registered");
            }
            byVersion.put(fromVersion, upcaster);
            reach(type, fromVersion + 1);
            return this;
        }

        /**
         * Registers a change of shape: {@code change} edits the JSON object of a payload of {@code type} at schema
         * version {@code fromVersion} in place (add, remove, rename, merge fields), which then is version {@code
         * fromVersion + 1}.
         *
         * @param type the type name
         * @param fromVersion the stored schema version it takes, from 1
         * @param change edits the payload's JSON object, thread-safe
         * @return this builder
         * @throws IllegalArgumentException as {@link #upcast} does
         */
        public Builder upcastData(String type, int fromVersion, Consumer<Map<String, Object>> change) {
            requireNonNull(change, "change");
            return addStep(type, fromVersion, stored -> {
                change.accept(stored.data());
                return List.of(new VersionedJson(stored.type(), stored.version() + 1, stored.data()));
            });
        }

        /**
         * Registers a rename: payloads stored as {@code oldType} at {@code oldVersion} read as {@code newType} at
         * {@code newVersion}, unchanged otherwise (and are upcast further from there).
         *
         * @param oldType the stored type name
         * @param oldVersion the stored schema version, from 1
         * @param newType the type name to read them as
         * @param newVersion the schema version their data is in under the new name, from 1
         * @return this builder
         * @throws IllegalArgumentException as {@link #upcast} does
         */
        public Builder rename(String oldType, int oldVersion, String newType, int newVersion) {
            checkTypeName(newType);
            checkVersion(newType, newVersion);
            reach(newType, newVersion);
            renamedFrom.computeIfAbsent(newType, t -> new HashSet<>()).add(oldType);
            return addStep(
                    oldType, oldVersion, stored -> List.of(new VersionedJson(newType, newVersion, stored.data())));
        }

        private void reach(String type, int version) {
            reachedVersions.merge(type, version, Math::max);
        }

        private static void checkVersion(String type, int version) {
            if (version < 1) {
                throw new IllegalArgumentException(
                        "schema version must be >= 1, was " + version + " for '" + type + "'");
            }
        }

        /**
         * Reads payloads of unregistered types as {@link RawJson}; the default, kept for existing callers.
         *
         * @return this builder
         */
        public Builder unknownTypesAsRawJson() {
            return unknownTypes(UnknownTypePolicy.RAW_JSON);
        }

        /**
         * Sets what reads do with type names that have no class. Default: {@link UnknownTypePolicy#RAW_JSON}.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder unknownTypes(UnknownTypePolicy policy) {
            this.unknownTypes = requireNonNull(policy, "policy");
            return this;
        }

        /** {@return an immutable registry of what was registered so far} */
        public EventTypeRegistry build() {
            return new EventTypeRegistry(this);
        }
    }
}
