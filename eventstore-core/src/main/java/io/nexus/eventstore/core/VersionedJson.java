package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * A stored payload as an upcaster sees it: its type name, its schema version and its JSON object as plain Java (a
 * mutable {@code Map} whose values are {@code String}, {@code Boolean}, numbers, {@code List}s, {@code Map}s or
 * null). An {@link Upcaster} may change {@code data} in place and return it under a new version, or return new
 * payloads.
 *
 * @param type the type name
 * @param version the schema version {@code data} is in, from 1
 * @param data the payload's JSON object, mutable
 */
public record VersionedJson(String type, int version, Map<String, Object> data) {
    /**
     * Checks the type name and the version.
     *
     * @param type the type name
     * @param version the schema version, from 1
     * @param data the payload's JSON object
     * @throws IllegalArgumentException if the type name is not valid or the version is below 1
     */
    public VersionedJson {
        EventTypeRegistry.checkTypeName(type);
        if (version < 1) {
            throw new IllegalArgumentException("schema version must be >= 1, was " + version + " for '" + type + "'");
        }
        requireNonNull(data, "data");
    }

    /**
     * Makes a payload.
     *
     * @param type the type name
     * @param version the schema version, from 1
     * @param data the payload's JSON object
     * @return the payload
     */
    public static VersionedJson of(String type, int version, Map<String, Object> data) {
        return new VersionedJson(type, version, data);
    }
}
