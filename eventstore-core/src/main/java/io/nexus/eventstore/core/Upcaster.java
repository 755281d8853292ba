package io.nexus.eventstore.core;

import java.util.List;

/**
 * Turns a stored payload of one type and schema version into its next form: the same type one version later (a
 * change of shape), another type (a rename), or several payloads (a split). Upcasters work on the JSON object, so no
 * Java class is needed for an old version; they run on every read (stream reads, the global order, subscriptions,
 * projections, relays), in the order of the versions, until no upcaster takes the result. Register them with {@link
 * EventTypeRegistry.Builder#upcast}; they must be thread-safe and should be pure functions of their input.
 */
@FunctionalInterface
public interface Upcaster {
    /**
     * Upcasts one payload.
     *
     * @param stored the payload at the type and version this upcaster was registered for; its data may be changed
     * @return what the payload becomes, at least one; each is upcast further if an upcaster takes it
     */
    List<VersionedJson> upcast(VersionedJson stored);
}
