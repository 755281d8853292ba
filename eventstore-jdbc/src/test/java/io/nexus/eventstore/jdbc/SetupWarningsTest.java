package io.nexus.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nexus.eventstore.jdbc.internal.SetupCheck;
import io.nexus.eventstore.jdbc.internal.StoreNotifications;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server or schema on which the event store's tables are never analyzed is reported, not left to show up as appends
 * that slow down: by {@link PostgresEventStore#setupWarnings()}, and once in the log of every process that follows the
 * head.
 */
@PostgresTest
@Timeout(60)
class SetupWarningsTest {
    private final TestDatabase database;

    SetupWarningsTest(TestDatabase database) {
        this.database = database;
    }

    @AfterEach
    void resetTables() {
        database.execute("ALTER TABLE " + database.schema() + ".events RESET (autovacuum_enabled)");
        database.execute("ALTER TABLE " + database.schema() + ".streams RESET (autovacuum_enabled)");
    }

    @Test
    void each_setting_that_stops_analyzing_gets_a_warning_naming_it_and_what_to_do() {
        assertThat(new SetupCheck(true, true, List.of()).warnings("orders")).isEmpty();

        List<String> all = new SetupCheck(false, false, List.of("events", "streams")).warnings("orders");

        assertThat(all).hasSize(3);
        assertThat(all.get(0))
                .contains(
                        "autovacuum = off",
                        "ALTER SYSTEM SET autovacuum = on",
                        "ANALYZE the tables of schema 'orders'");
        assertThat(all.get(1)).contains("track_counts = off", "ALTER SYSTEM SET track_counts = on");
        assertThat(all.get(2))
                .contains("orders.events, orders.streams", "autovacuum_enabled = false", "RESET (autovacuum_enabled)");
    }

    @Test
    void the_servers_settings_are_read_as_the_server_reports_them() throws Exception {
        SetupCheck check;
        boolean autovacuum;
        boolean trackCounts;
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT current_setting('autovacuum') = 'on', current_setting('track_counts') = 'on'")) {
            rows.next();
            autovacuum = rows.getBoolean(1);
            trackCounts = rows.getBoolean(2);
            check = SetupCheck.read(connection, database.schema());
        }

        assertThat(check).isEqualTo(new SetupCheck(autovacuum, trackCounts, List.of()));
        try (PostgresEventStore store = store()) {
            assertThat(store.setupWarnings()).isEqualTo(check.warnings(database.schema()));
        }
    }

    @Test
    void a_table_of_the_schema_with_autovacuum_turned_off_is_named_until_it_is_reset() {
        try (PostgresEventStore store = store()) {
            database.execute("ALTER TABLE " + database.schema() + ".events SET (autovacuum_enabled = off)");
            database.execute("ALTER TABLE " + database.schema() + ".streams SET (autovacuum_enabled = 0)");

            assertThat(store.setupWarnings())
                    .filteredOn(warning -> warning.contains("autovacuum_enabled = false"))
                    .singleElement()
                    .asString()
                    .contains(database.schema() + ".events, " + database.schema() + ".streams");

            database.execute("ALTER TABLE " + database.schema() + ".events RESET (autovacuum_enabled)");
            database.execute("ALTER TABLE " + database.schema() + ".streams SET (autovacuum_enabled = true)");

            assertThat(store.setupWarnings()).noneMatch(warning -> warning.contains("autovacuum_enabled"));
        }
    }

    @Test
    void a_schema_never_migrated_has_no_tables_to_report_and_is_not_an_error_here() {
        try (PostgresEventStore store = PostgresEventStore.builder(database.dataSource())
                .schema("setup_never_migrated")
                .build()) {
            assertThat(store.setupWarnings()).noneMatch(warning -> warning.contains("autovacuum_enabled"));
        }
    }

    @Test
    void a_process_that_follows_the_head_logs_the_warnings_once() throws Exception {
        database.execute("ALTER TABLE " + database.schema() + ".events SET (autovacuum_enabled = false)");
        Logger logger = Logger.getLogger(StoreNotifications.class.getName());
        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()
                        && record.getMessage().contains(database.schema() + ".events")) {
                    warnings.add(record.getMessage());
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        logger.addHandler(handler);
        try (PostgresEventStore store = store();
                HeadWatch watch = store.watchHead(Duration.ofMillis(20))) {
            await("the warning is logged").atMost(Duration.ofSeconds(20)).until(() -> !warnings.isEmpty());
            Thread.sleep(300); // some 15 polls more: none may repeat it

            assertThat(warnings)
                    .singleElement()
                    .asString()
                    .startsWith("event store schema " + database.schema() + ": ")
                    .contains("autovacuum is turned off for " + database.schema() + ".events");
        } finally {
            logger.removeHandler(handler);
        }
    }

    private PostgresEventStore store() {
        return PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
    }
}
