package io.nexus.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * The sequencer's statements run inside PL/pgSQL functions, whose plan cache may keep a generic plan (planned without
 * the values of the function's variables) after five calls on one connection. Before V11 the generic plan of the fast
 * path's "is there a commit id above the last one" was a sequential scan of events, on every run of every process.
 */
@PostgresTest
class SequencerPlanTest {
    /** Enough events that the planner prices a sequential scan of them well above an index probe. */
    private static final int EVENTS = 20_000;

    private static final int CALLS = 12;

    private final TestDatabase database;

    SequencerPlanTest(TestDatabase database) {
        this.database = database;
    }

    @Test
    void the_sequencer_and_its_status_never_scan_all_events_once_the_plan_cache_settles() throws SQLException {
        String schema = database.schema();
        database.execute("DO $$ BEGIN FOR i IN 1.." + EVENTS + " LOOP PERFORM " + schema + ".append_to_stream("
                + "'plan-' || i, -2, ARRAY[gen_random_uuid()], ARRAY['plan.tested'], '[{\"n\": 1}]', '[null]',"
                + " ARRAY[NULL::uuid], ARRAY[NULL::uuid], ARRAY[NULL::text]); END LOOP; END $$");
        try (PostgresEventStore store = PostgresEventStore.builder(database.dataSource())
                .schema(schema)
                .types(EventTypeRegistry.rawJson())
                .build()) {
            assertThat(store.headPosition()).isEqualTo(EVENTS);
        }
        database.execute("ANALYZE " + schema + ".events");

        try (Connection connection = database.dataSource().getConnection()) {
            // One transaction, so pg_stat_xact_user_tables counts exactly the scans of these calls.
            connection.setAutoCommit(false);
            long head = 0;
            for (int i = 0; i < CALLS; i++) {
                head = single(connection, "SELECT " + schema + ".sequence_commits()");
                single(connection, "SELECT last_position FROM " + schema + ".sequencer_status()");
            }
            long sequentialScans = single(
                    connection,
                    "SELECT seq_scan FROM pg_stat_xact_user_tables WHERE schemaname = '" + schema
                            + "' AND relname = 'events'");
            connection.rollback();

            assertThat(head).isEqualTo(EVENTS);
            assertThat(sequentialScans)
                    .as("sequential scans of events in %d sequencer runs and status reads", CALLS)
                    .isZero();
        }
    }

    private static long single(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(sql)) {
            assertThat(row.next()).as("a row from %s", sql).isTrue();
            return row.getLong(1);
        }
    }
}
