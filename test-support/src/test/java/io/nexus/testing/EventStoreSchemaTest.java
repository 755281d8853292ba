package io.nexus.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nexus.migrations.EventStoreSchema;
import io.nexus.migrations.MigrateCommand;
import io.nexus.migrations.SchemaMigration;
import io.nexus.migrations.SchemaMigrationException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

@PostgresTest
class EventStoreSchemaTest {
    private final TestDatabase database;

    EventStoreSchemaTest(TestDatabase database) {
        this.database = database;
    }

    @Test
    void migrating_applies_every_version_once_into_its_own_history_table() {
        int first = EventStoreSchema.migrate(database.dataSource(), "tenant_a");
        int second = EventStoreSchema.migrate(database.dataSource(), "tenant_a");
        List<SchemaMigration> info = EventStoreSchema.info(database.dataSource(), "tenant_a");

        assertThat(first).isGreaterThanOrEqualTo(1);
        assertThat(second).isZero();
        assertThat(info).allSatisfy(m -> assertThat(m.state()).isEqualTo("Success"));
        assertThat(info).extracting(SchemaMigration::version).startsWith("1");
        database.execute("SELECT 1 FROM tenant_a.nexus_schema_history");
        EventStoreSchema.validate(database.dataSource(), "tenant_a");
    }

    @Test
    void a_schema_name_that_could_inject_sql_is_refused_before_connecting() {
        for (String bad : List.of("", "Upper", "1abc", "a-b", "a;drop", "x".repeat(51))) {
            assertThatThrownBy(() -> EventStoreSchema.migrate(database.dataSource(), bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
        }
    }

    @Test
    void validating_a_schema_that_was_never_migrated_fails_clearly() {
        assertThatThrownBy(() -> EventStoreSchema.validate(database.dataSource(), "never_migrated"))
                .isInstanceOf(SchemaMigrationException.class)
                .hasMessageContaining("never_migrated");
    }

    @Test
    void the_command_line_migrates_lists_and_validates() {
        String url = database.jdbcUrl();

        Output migrate = run("migrate", "--url", url, "--schema", "from_cli");
        Output again = run("migrate", "--url", url, "--schema", "from_cli");
        Output info = run("info", "--url", url, "--schema", "from_cli");
        Output validate = run("validate", "--url", url, "--schema", "from_cli");
        Output missingUrl = run("migrate");
        Output badUrl = run("migrate", "--url", "jdbc:postgresql://127.0.0.1:1/none?connectTimeout=2");

        assertThat(migrate.code()).isZero();
        assertThat(migrate.text()).containsPattern("applied [1-9][0-9]* migration"); // each new migration adds one
        assertThat(again.text()).contains("applied 0 migration");
        assertThat(info.code()).isZero();
        assertThat(info.text()).contains("Success").contains("create event store");
        assertThat(validate.code()).isZero();
        assertThat(missingUrl.code()).isEqualTo(2);
        assertThat(badUrl.code()).isEqualTo(1);
    }

    record Output(int code, String text) {}

    private static Output run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            int code = MigrateCommand.run(args);
            return new Output(code, buffer.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
