package io.nexus.migrations;

/** Applying, inspecting or validating the event store schema failed; wraps Flyway's or the driver's cause. */
public final class SchemaMigrationException extends RuntimeException {
    SchemaMigrationException(String message, Throwable cause) {
        super(message + ": " + cause.getMessage(), cause);
    }
}
