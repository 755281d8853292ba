package io.nexus.eventstore.jdbc;

import static io.nexus.eventstore.core.contract.TestEvents.orderPlaced;
import static io.nexus.eventstore.core.contract.TestEvents.uniqueStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.SchemaNotMigratedException;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.jdbc.internal.Sequencer;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@PostgresTest
@Timeout(60)
class UnmigratedSchemaTest {
    private final TestDatabase database;

    UnmigratedSchemaTest(TestDatabase database) {
        this.database = database;
    }

    @Test
    void every_operation_on_a_schema_nobody_created_names_the_migrate_call_and_command() {
        try (PostgresEventStore store = PostgresEventStore.builder(database.dataSource())
                .schema("never_migrated")
                .build()) {
            for (ThrowingCallable operation : operations(store)) {
                Throwable thrown = catchThrowable(operation);

                assertNotMigrated(thrown, "never_migrated");
            }
        }
    }

    @Test
    void every_operation_on_an_empty_schema_names_the_migrate_call_and_command() {
        database.execute("CREATE SCHEMA IF NOT EXISTS created_empty");
        try (PostgresEventStore store = PostgresEventStore.builder(database.dataSource())
                .schema("created_empty")
                .build()) {
            for (ThrowingCallable operation : operations(store)) {
                Throwable thrown = catchThrowable(operation);

                assertNotMigrated(thrown, "created_empty");
            }
        }
    }

    @Test
    void the_sequencer_thread_reports_a_schema_never_migrated_once_not_on_every_retry() throws Exception {
        Logger logger = Logger.getLogger(Sequencer.class.getName());
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getMessage() != null && record.getMessage().contains("unmigrated_seq")) {
                    records.add(record);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        logger.addHandler(handler);
        try (PostgresEventStore store = PostgresEventStore.builder(database.dataSource())
                .schema("unmigrated_seq")
                .build()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // The thread retries with backoff (10 ms doubling to 2 s): in these 3 s it fails about ten times more.
            Thread.sleep(3_000);

            assertThat(records).hasSize(1);
            assertThat(records.get(0).getLevel()).isEqualTo(Level.SEVERE);
            assertThat(records.get(0).getMessage())
                    .contains("EventStoreSchema.migrate(dataSource, \"unmigrated_seq\")");
        } finally {
            logger.removeHandler(handler);
        }
    }

    private void assertNotMigrated(Throwable thrown, String schema) {
        assertThat(thrown)
                .isInstanceOf(SchemaNotMigratedException.class)
                .hasMessageContaining("schema '" + schema + "' in database '" + database.name() + "' at ")
                .hasMessageContaining("io.nexus.migrations.EventStoreSchema.migrate(dataSource, \"" + schema + "\")")
                .hasMessageContaining("migrate --url <jdbc-url> --schema " + schema);
        assertThat(((SchemaNotMigratedException) thrown).schema()).isEqualTo(schema);
    }

    private static List<ThrowingCallable> operations(PostgresEventStore store) {
        return List.of(
                () -> store.append(uniqueStream("order"), ExpectedVersion.any(), List.of(orderPlaced())),
                () -> store.appendAll(
                        List.of(StreamAppend.of(uniqueStream("order"), ExpectedVersion.any(), List.of(orderPlaced())))),
                () -> store.readStream(uniqueStream("order"), 1, 10),
                () -> store.readStreamBackward(uniqueStream("order"), 10, 10),
                () -> store.streamVersion(uniqueStream("order")),
                () -> store.readAll(1, 10),
                store::headPosition,
                () -> store.positionOf(1));
    }
}
