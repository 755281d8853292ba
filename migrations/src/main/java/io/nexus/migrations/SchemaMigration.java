package io.nexus.migrations;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One versioned migration of the event store schema and its state in a database.
 *
 * @param version the migration's version, such as {@code 1}
 * @param description what it does
 * @param state Flyway's state name: {@code Pending}, {@code Success}, {@code Failed}, ...
 * @param installedOn when it was applied; null while pending
 */
public record SchemaMigration(
        String version,
        String description,
        String state,
        @Nullable Instant installedOn) {}
