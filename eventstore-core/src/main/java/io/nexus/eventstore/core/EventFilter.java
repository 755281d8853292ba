package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

import java.util.Set;

/**
 * Narrows a read of the global order to some event types or stream categories. Positions stay global: a filtered
 * page skips what does not match, and its events keep their positions.
 *
 * @param types type names to keep; empty means every type
 * @param categories stream categories to keep; empty means every category
 */
public record EventFilter(Set<String> types, Set<String> categories) {
    /** A filter that keeps everything. */
    public static final EventFilter ALL = new EventFilter(Set.of(), Set.of());

    /**
     * Copies the sets, so a filter never changes after it is made.
     *
     * @param types type names to keep; empty means every type
     * @param categories stream categories to keep; empty means every category
     * @throws IllegalArgumentException if a type name is not a valid one
     */
    public EventFilter {
        types = Set.copyOf(requireNonNull(types, "types"));
        categories = Set.copyOf(requireNonNull(categories, "categories"));
        types.forEach(EventTypeRegistry::checkTypeName);
    }

    /**
     * Keeps only events of these type names.
     *
     * @param types the type names to keep; none keeps every type
     * @return the filter
     */
    public static EventFilter types(String... types) {
        return new EventFilter(Set.of(types), Set.of());
    }

    /**
     * Keeps only events of streams in these categories.
     *
     * @param categories the stream categories to keep; none keeps every category
     * @return the filter
     */
    public static EventFilter categories(String... categories) {
        return new EventFilter(Set.of(), Set.of(categories));
    }

    /** {@return whether this filter keeps everything} */
    public boolean isAll() {
        return types.isEmpty() && categories.isEmpty();
    }

    /**
     * Tells whether an event of {@code type} in a stream of {@code category} passes.
     *
     * @param type the event's type name
     * @param category the category of the event's stream
     * @return whether the filter keeps the event
     */
    public boolean matches(String type, String category) {
        return (types.isEmpty() || types.contains(type)) && (categories.isEmpty() || categories.contains(category));
    }
}
