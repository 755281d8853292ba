package io.nexus.eventstore.jdbc.internal;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The settings of a server and a schema that keep a store from staying fast, read (never changed) so that a setup
 * unlike the one Nexus is built for is said out loud instead of showing up as appends that slow down week by week.
 *
 * <p>Today that is statistics: the append and the sequencer find ids and commits by index, each pooled connection
 * plans those statements once, and a table that is never analyzed keeps the plans made while it was empty, which
 * scan it (measured: appends 7× slower after 66,000 events, ADR 0001). Autovacuum analyzes; it needs {@code
 * autovacuum} on, {@code track_counts} on, and no table of the schema opted out.
 *
 * @param autovacuum the server's {@code autovacuum} setting
 * @param trackCounts the server's {@code track_counts} setting, without which autovacuum never sees a table change
 * @param tablesWithoutAutovacuum the schema's tables with the storage parameter {@code autovacuum_enabled = false}
 */
public record SetupCheck(boolean autovacuum, boolean trackCounts, List<String> tablesWithoutAutovacuum) {
    private static final String QUERY = """
            SELECT current_setting('autovacuum')::boolean,
                   current_setting('track_counts')::boolean,
                   coalesce(array_agg(c.relname::text ORDER BY c.relname) FILTER (
                       WHERE (SELECT o.option_value
                              FROM pg_options_to_table(c.reloptions) o
                              WHERE o.option_name = 'autovacuum_enabled')::boolean IS FALSE), '{}')
            FROM pg_namespace n
            LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p')
            WHERE n.nspname = ?
            """;

    public SetupCheck {
        tablesWithoutAutovacuum = List.copyOf(tablesWithoutAutovacuum);
    }

    /**
     * Reads the settings through {@code connection}, in one catalog query that takes no lock on the store's tables.
     *
     * @param schema the store's schema; one that does not exist has no tables to opt out
     */
    public static SetupCheck read(Connection connection, String schema) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(QUERY)) {
            statement.setString(1, schema);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next(); // an aggregate: one row, also for a schema that does not exist
                Array tables = rows.getArray(3);
                try {
                    return new SetupCheck(
                            rows.getBoolean(1), rows.getBoolean(2), List.of((String[]) tables.getArray()));
                } finally {
                    tables.free();
                }
            }
        }
    }

    /**
     * What is wrong, each entry one sentence saying what was found, what it costs and what to do; empty when nothing
     * is.
     *
     * @param schema the store's schema, to name its tables
     */
    public List<String> warnings(String schema) {
        List<String> warnings = new ArrayList<>();
        String consequence = "the event store's tables are never analyzed, so the plans of appends and of the sequencer"
                + " made while they were small keep scanning them as they grow, and appends slow"
                + " down week by week";
        if (!autovacuum) {
            warnings.add("the server runs with autovacuum = off: " + consequence + ". Turn it on (ALTER SYSTEM SET"
                    + " autovacuum = on; SELECT pg_reload_conf()), or ANALYZE the tables of schema '" + schema
                    + "' on a schedule.");
        }
        if (!trackCounts) {
            warnings.add("the server runs with track_counts = off, so autovacuum never sees a table change: "
                    + consequence + ". Turn it on (ALTER SYSTEM SET track_counts = on; SELECT pg_reload_conf()).");
        }
        if (!tablesWithoutAutovacuum.isEmpty()) {
            List<String> qualified = tablesWithoutAutovacuum.stream()
                    .map(table -> schema + "." + table)
                    .toList();
            warnings.add("autovacuum is turned off for " + String.join(", ", qualified) + " (autovacuum_enabled ="
                    + " false): " + consequence + ". Reset it (ALTER TABLE <table> RESET (autovacuum_enabled)), or"
                    + " ANALYZE those tables on a schedule.");
        }
        return List.copyOf(warnings);
    }
}
