package io.nexus.eventstore.core;

import org.jspecify.annotations.Nullable;

/**
 * The store's schema holds no event store, or an older version of it than this code needs: it was never migrated (or
 * not since an upgrade). The message names the migrate call and command that fix it; nothing was written.
 */
public final class SchemaNotMigratedException extends EventStoreException {
    private final String schema;

    /**
     * The exception for {@code schema}, with a message naming the fix.
     *
     * @param schema the schema the store was configured with
     * @param database where it was looked for, for the message (for instance {@code database 'app' at db:5432})
     * @param cause the database's error
     */
    public SchemaNotMigratedException(String schema, String database, Throwable cause) {
        super(
                "schema '" + schema + "' in " + database
                        + " holds no Nexus event store (never migrated, or migrated by an"
                        + " older version): apply it first, from code with io.nexus.migrations.EventStoreSchema.migrate(dataSource, \""
                        + schema + "\") (module nexus-migrations), or from the command line with"
                        + " java -jar nexus-migrations-<version>-cli.jar migrate --url <jdbc-url> --schema " + schema
                        + " (the database said: " + firstLine(cause.getMessage()) + ")",
                cause);
        this.schema = schema;
    }

    // The driver's message goes on with the statement position and hints, which only lengthen this one.
    private static String firstLine(@Nullable String message) {
        return message == null ? "no message" : message.lines().findFirst().orElse(message);
    }

    /** {@return the schema that was not migrated} */
    public String schema() {
        return schema;
    }
}
