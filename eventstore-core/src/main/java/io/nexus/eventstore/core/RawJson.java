package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

/**
 * An event payload that is already JSON text. The store writes it unchanged (the database checks that it is valid
 * JSON) and returns it for types the {@link EventTypeRegistry} does not know when reading leniently.
 */
public record RawJson(String json) {
    /**
     * Checks that there is a text; the database checks that it is valid JSON.
     *
     * @param json the JSON text
     */
    public RawJson {
        requireNonNull(json, "json");
    }

    /**
     * Wraps {@code json}, which must be a JSON document.
     *
     * @param json the JSON text
     * @return the payload
     */
    public static RawJson of(String json) {
        return new RawJson(json);
    }
}
