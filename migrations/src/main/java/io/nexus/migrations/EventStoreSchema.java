package io.nexus.migrations;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.SchemaName;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.configuration.FluentConfiguration;

/**
 * Applies and inspects the event store schema. Each schema keeps its own history table ({@value #HISTORY_TABLE}),
 * so the event store's migrations never mix with the application's own Flyway migrations.
 *
 * <pre>{@code
 * EventStoreSchema.migrate(dataSource, "nexus");
 * }</pre>
 *
 * <p>Schema names are 1 to {@value #MAX_SCHEMA_NAME_LENGTH} characters of lower-case letters, digits and
 * underscores, starting with a letter or underscore; they are validated, never concatenated raw into SQL.
 */
public final class EventStoreSchema {
    /** The schema used when none is given. */
    public static final String DEFAULT_SCHEMA = "nexus";
    /** The Flyway history table inside the event store schema. */
    public static final String HISTORY_TABLE = "nexus_schema_history";
    /** The longest schema name accepted: {@link SchemaName#MAX_LENGTH}, which says why. */
    public static final int MAX_SCHEMA_NAME_LENGTH = SchemaName.MAX_LENGTH;

    private static final Pattern ROLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final String LOCATION = "classpath:io/nexus/migrations/sql";

    private EventStoreSchema() {}

    /**
     * Creates the schema if needed and applies every pending migration, in one transaction each.
     *
     * @param dataSource the database, with a user that may create the schema and its objects
     * @param schema the event store schema; see the class description for valid names
     * @return how many migrations were applied (0 when the schema was up to date)
     * @throws SchemaMigrationException when a migration fails or the database cannot be reached
     */
    public static int migrate(DataSource dataSource, String schema) {
        return run("migrate", schema, () -> flyway(dataSource, schema).migrate().migrationsExecuted);
    }

    /**
     * Lists the migrations this release knows.
     *
     * @param dataSource the database
     * @param schema the event store schema
     * @return every migration this release knows, with its state in {@code schema}
     * @throws SchemaMigrationException when the database cannot be reached
     */
    public static List<SchemaMigration> info(DataSource dataSource, String schema) {
        return run(
                "read migration info of",
                schema,
                () -> Arrays.stream(flyway(dataSource, schema).info().all())
                        .filter(info -> info.getVersion() != null)
                        .map(EventStoreSchema::toSchemaMigration)
                        .toList());
    }

    /**
     * Checks that the applied migrations match this release's (no pending, failed, changed or unknown ones).
     *
     * @param dataSource the database
     * @param schema the event store schema
     * @throws SchemaMigrationException naming what does not match
     */
    public static void validate(DataSource dataSource, String schema) {
        runVoid("validate", schema, () -> flyway(dataSource, schema).validate());
    }

    /**
     * Grants {@code role} exactly what the event store needs at run time: reading and inserting events, and
     * maintaining the stream versions and the global order. It is not granted UPDATE, DELETE or TRUNCATE on events.
     *
     * @param dataSource the database, with a user that may grant on the schema (its owner)
     * @param schema the migrated event store schema
     * @param role the role the application connects as: letters, digits and underscores
     * @throws IllegalArgumentException if the schema or role name is not valid
     * @throws SchemaMigrationException if a grant fails
     */
    public static void grantRuntimeAccess(DataSource dataSource, String schema, String role) {
        String s = '"' + checkSchemaName(schema) + '"';
        requireNonNull(role, "role");
        if (!ROLE_NAME.matcher(role).matches()) {
            throw new IllegalArgumentException("role must be letters, digits and underscores, was '" + role + "'");
        }
        String r = '"' + role + '"';
        List<String> grants = List.of(
                "GRANT USAGE ON SCHEMA " + s + " TO " + r,
                "GRANT SELECT, INSERT ON " + s + ".events TO " + r,
                "GRANT SELECT, INSERT, UPDATE ON " + s + ".streams TO " + r,
                "GRANT SELECT, INSERT, DELETE ON " + s + ".unsequenced_commits TO " + r,
                "GRANT SELECT, INSERT ON " + s + ".commits TO " + r,
                "GRANT SELECT, UPDATE ON " + s + ".sequencer TO " + r,
                "GRANT USAGE ON SEQUENCE " + s + ".commit_id_seq TO " + r,
                "GRANT SELECT, INSERT, UPDATE, DELETE ON " + s + ".subscriptions TO " + r,
                "GRANT SELECT, INSERT, DELETE ON " + s + ".dead_letters TO " + r,
                "GRANT SELECT ON " + s + ".subscription_status TO " + r,
                "GRANT SELECT, INSERT, UPDATE, DELETE ON " + s + ".snapshots TO " + r,
                "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA " + s + " TO " + r);
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement()) {
            for (String grant : grants) {
                statement.execute(grant);
            }
        } catch (SQLException e) {
            throw new SchemaMigrationException("could not grant runtime access on schema " + s + " to " + r, e);
        }
    }

    /**
     * Checks a schema name; the rules are those of {@link SchemaName}.
     *
     * @param schema the name to check
     * @return {@code schema}, so the check can be used inline
     * @throws IllegalArgumentException if the name is not valid, quoting it
     */
    public static String checkSchemaName(String schema) {
        return SchemaName.of(schema).value();
    }

    static Flyway flyway(DataSource dataSource, String schema) {
        return configuration(schema)
                .dataSource(requireNonNull(dataSource, "dataSource"))
                .load();
    }

    static FluentConfiguration configuration(String schema) {
        checkSchemaName(schema);
        return Flyway.configure(EventStoreSchema.class.getClassLoader())
                .schemas(schema)
                .defaultSchema(schema)
                .createSchemas(true)
                .table(HISTORY_TABLE)
                .locations(LOCATION)
                .failOnMissingLocations(true);
    }

    private interface FlywayCall<T> {
        T call();
    }

    private static <T> T run(String action, String schema, FlywayCall<T> call) {
        checkSchemaName(schema);
        try {
            return call.call();
        } catch (FlywayException e) {
            throw new SchemaMigrationException("could not " + action + " event store schema '" + schema + "'", e);
        }
    }

    private static void runVoid(String action, String schema, Runnable call) {
        run(action, schema, () -> {
            call.run();
            return schema;
        });
    }

    static SchemaMigration toSchemaMigration(MigrationInfo info) {
        return new SchemaMigration(
                info.getVersion().getVersion(),
                info.getDescription(),
                info.getState().getDisplayName(),
                info.getInstalledOn() == null ? null : info.getInstalledOn().toInstant());
    }
}
