/**
 * The Nexus event store schema: versioned Flyway SQL in {@code io/nexus/migrations/sql}, applied into a schema of
 * the caller's choosing with its own history table, from code ({@link io.nexus.migrations.EventStoreSchema}) or from
 * the command line ({@link io.nexus.migrations.MigrateCommand}).
 */
@NullMarked
package io.nexus.migrations;

import org.jspecify.annotations.NullMarked;
