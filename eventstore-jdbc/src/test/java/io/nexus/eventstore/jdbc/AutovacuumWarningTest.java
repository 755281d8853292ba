package io.nexus.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventstore.jdbc.internal.Sequencer;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server with autovacuum off (as this machine's CI PostgreSQL is) gets one WARNING per store naming the fix; a
 * server with PostgreSQL's default (the embedded one) gets none. The test reads the server's setting and holds either
 * way.
 */
@PostgresTest
@Timeout(60)
class AutovacuumWarningTest {
    private final TestDatabase database;

    AutovacuumWarningTest(TestDatabase database) {
        this.database = database;
    }

    @Test
    void a_server_without_autovacuum_is_named_once_with_the_fix_and_one_with_it_is_not() throws Exception {
        boolean autovacuumOff;
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SHOW autovacuum")) {
            result.next();
            autovacuumOff = !"on".equals(result.getString(1));
        }
        try (CapturedLog log = new CapturedLog(Sequencer.class, "autovacuum is off on");
                PostgresEventStore store = PostgresEventStore.builder(database.dataSource())
                        .schema(database.schema())
                        .build()) {
            // The sequencing thread runs at least once a second; three seconds see it run several times.
            Thread.sleep(3_000);

            if (autovacuumOff) {
                assertThat(log.records()).hasSize(1);
                assertThat(log.records().get(0).getLevel()).isEqualTo(Level.WARNING);
                assertThat(log.records().get(0).getMessage())
                        .contains("autovacuum is off")
                        .contains("ANALYZE " + database.schema() + ".events");
            } else {
                assertThat(log.records()).isEmpty();
            }
        }
    }
}
