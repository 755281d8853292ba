package io.nexus.eventstore.jdbc;

import static io.nexus.eventstore.core.contract.TestEvents.orderPlaced;
import static io.nexus.eventstore.core.contract.TestEvents.uniqueStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.UnknownEventTypeException;
import io.nexus.eventstore.core.contract.TestEvents;
import io.nexus.eventstore.core.contract.TestEvents.OrderPlaced;
import io.nexus.eventstore.jdbc.internal.SqlErrors;
import io.nexus.migrations.EventStoreSchema;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

@PostgresTest
class PostgresEventStoreTest {
    private final TestDatabase database;
    private final PostgresEventStore store;

    PostgresEventStoreTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .types(EventTypeRegistry.builder()
                        .register(OrderPlaced.class)
                        .unknownTypesAsRawJson()
                        .build())
                .build();
    }

    @AfterEach
    void close() {
        store.close();
    }

    record Timestamped(String id, Instant at) {}

    record Unserializable(String id) {
        @SuppressWarnings("DoNotCallSuggester") // Jackson calls it while serializing; failing is the fixture's point
        public String getBroken() {
            throw new IllegalStateException("this getter always fails");
        }
    }

    @Test
    void typed_payloads_round_trip_through_jsonb() {
        StreamId stream = uniqueStream("order");
        Instant at = Instant.parse("2026-11-27T10:15:30.123456Z");
        PostgresEventStore typed = PostgresEventStore.builder(database.dataSource())
                .types(EventTypeRegistry.builder()
                        .register("order.timestamped", Timestamped.class)
                        .build())
                .build();
        try (typed) {
            typed.append(
                    stream,
                    ExpectedVersion.noStream(),
                    List.of(NewEvent.of("order.timestamped", new Timestamped("a", at))));

            RecordedEvent read = typed.readStream(stream, 1, 1).get(0);

            assertThat(read.dataAs(Timestamped.class)).isEqualTo(new Timestamped("a", at));
            assertThat(read.recordedAt()).isBefore(Instant.now().plusSeconds(5));
        }
    }

    @Test
    void large_pages_that_start_and_end_inside_commits_come_back_whole_and_in_order() {
        StreamId first = uniqueStream("order");
        StreamId second = uniqueStream("order");
        long head = store.headPosition();
        List<NewEvent> firstBatch = orderPlaced(300);
        List<NewEvent> secondBatch = orderPlaced(300);
        List<NewEvent> thirdBatch = orderPlaced(300);
        store.append(first, ExpectedVersion.noStream(), firstBatch);
        store.append(second, ExpectedVersion.noStream(), secondBatch);
        store.append(first, ExpectedVersion.exactly(300), thirdBatch);

        // From the middle of the first commit, across the second, into the middle of the third.
        List<RecordedEvent> page = store.readAll(head + 151, 500);

        assertThat(page)
                .extracting(RecordedEvent::position)
                .containsExactlyElementsOf(
                        LongStream.range(head + 151, head + 651).boxed().toList());
        assertThat(page.get(0).eventId()).isEqualTo(firstBatch.get(150).eventId());
        assertThat(page.get(150).eventId()).isEqualTo(secondBatch.get(0).eventId());
        assertThat(page.get(450)).satisfies(event -> {
            assertThat(event.eventId()).isEqualTo(thirdBatch.get(0).eventId());
            assertThat(event.streamVersion()).isEqualTo(301);
        });
        assertThat(page.get(499).eventId()).isEqualTo(thirdBatch.get(49).eventId());
        assertThat(page).allSatisfy(event -> assertThat(event.data()).isInstanceOf(OrderPlaced.class));

        assertThat(store.readAll(head + 1, Integer.MAX_VALUE)).hasSize(900);
        // Closing the store stops its fetch threads; on a pool the caller owns, large reads still work, in one query.
        try (PostgresEventStore closed = PostgresEventStore.builder(database.dataSource())
                .types(EventTypeRegistry.builder().register(OrderPlaced.class).build())
                .build()) {
            closed.close();
            assertThat(closed.readAll(head + 1, 1_000))
                    .extracting(RecordedEvent::position)
                    .containsExactlyElementsOf(
                            LongStream.range(head + 1, head + 901).boxed().toList());
        }
        List<RecordedEvent> stream = store.readStream(first, 1, 1_000);
        assertThat(stream)
                .extracting(RecordedEvent::streamVersion)
                .containsExactlyElementsOf(
                        LongStream.rangeClosed(1, 600).boxed().toList());
        assertThat(stream)
                .extracting(RecordedEvent::eventId)
                .containsExactlyElementsOf(Stream.concat(firstBatch.stream(), thirdBatch.stream())
                        .map(NewEvent::eventId)
                        .toList());
    }

    @Test
    void a_large_page_that_fails_to_decode_midway_fails_whole_and_leaves_its_connection_usable() {
        StreamId stream = uniqueStream("order");
        long head = store.headPosition();
        List<NewEvent> events = new ArrayList<>(orderPlaced(700));
        events.add(400, NewEvent.of("order.mystery", RawJson.of("{\"a\": 1}")));
        store.append(stream, ExpectedVersion.noStream(), events);

        // One pooled connection: if the failed read left it inside its cursor's transaction, the next read would fail.
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(database.jdbcUrl());
        config.setMaximumPoolSize(1);
        try (HikariDataSource oneConnection = new HikariDataSource(config);
                PostgresEventStore strict = PostgresEventStore.builder(oneConnection)
                        .types(TestEvents.registry())
                        .build()) {
            assertThatThrownBy(() -> strict.readAll(head + 1, 1_000))
                    .isInstanceOf(UnknownEventTypeException.class)
                    .hasMessageContaining("'order.mystery'");

            assertThat(strict.readAll(head + 1, 400))
                    .extracting(RecordedEvent::eventId)
                    .containsExactlyElementsOf(events.subList(0, 400).stream()
                            .map(NewEvent::eventId)
                            .toList());
            assertThat(strict.readAll(head + 402, 600))
                    .extracting(RecordedEvent::eventId)
                    .containsExactlyElementsOf(events.subList(401, 701).stream()
                            .map(NewEvent::eventId)
                            .toList());
        }
    }

    @Test
    void a_large_read_decoded_on_two_threads_names_the_first_event_it_cannot_decode() {
        StreamId stream = uniqueStream("order");
        List<NewEvent> events = new ArrayList<>(orderPlaced(700));
        events.set(150, NewEvent.of("order.mystery", RawJson.of("{\"a\": 1}")));
        events.set(600, NewEvent.of("order.mystery", RawJson.of("{\"a\": 2}")));
        store.append(stream, ExpectedVersion.noStream(), events);

        try (PostgresEventStore strict = PostgresEventStore.builder(database.dataSource())
                .types(TestEvents.registry())
                .build()) {
            for (int read = 0; read < 20; read++) {
                assertThatThrownBy(() -> strict.readStream(stream, 1, 1_000))
                        .isInstanceOf(UnknownEventTypeException.class)
                        .hasMessageContaining("at version 151");
                assertThatThrownBy(() -> strict.readStream(stream, 152, 1_000))
                        .isInstanceOf(UnknownEventTypeException.class)
                        .hasMessageContaining("at version 601");
            }
        }
    }

    @Test
    void metadata_with_escapes_and_non_ascii_text_reads_back_as_written() {
        StreamId stream = uniqueStream("order");
        Map<String, String> metadata = Map.of(
                "quote\"and\\backslash", "line\nbreak\ttab\r\b\f/slash",
                "control", "\u0001\u001f",
                "text", "Grüße, 東京, \uD83D\uDE00",
                "", "empty key",
                "empty value", "");
        NewEvent template = orderPlaced();
        NewEvent event = new NewEvent(UUID.randomUUID(), template.type(), template.data(), metadata, null, null, null);
        List<NewEvent> many = new ArrayList<>(orderPlaced(299));
        many.add(event);
        store.append(stream, ExpectedVersion.noStream(), many);

        List<RecordedEvent> read = store.readStream(stream, 1, 1_000);

        assertThat(read).hasSize(300);
        assertThat(read.get(299).metadata()).isEqualTo(metadata);
        assertThat(read.get(0).metadata()).isEmpty();
    }

    @Test
    void the_lazily_paged_reads_hold_no_connection_between_pages() throws InterruptedException {
        StreamId stream = uniqueStream("order");
        StreamId other = uniqueStream("other");
        // One pooled connection: an iterator that kept it between pages would leave the appends below waiting for it.
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(database.jdbcUrl());
        config.setMaximumPoolSize(1);
        try (HikariDataSource oneConnection = new HikariDataSource(config);
                PostgresEventStore onOne = PostgresEventStore.builder(oneConnection)
                        .types(TestEvents.registry())
                        .build()) {
            long start = onOne.headPosition() + 1;
            onOne.append(stream, ExpectedVersion.noStream(), orderPlaced(25));
            List<Integer> checkedOut = new ArrayList<>();
            List<Long> seen = new ArrayList<>();

            for (Iterable<RecordedEvent> events : List.of(
                    onOne.streamEvents(stream, 1, 10),
                    onOne.streamEventsBackward(stream, Long.MAX_VALUE, 10),
                    onOne.allEvents(start, EventFilter.categories("order"), 10))) {
                for (RecordedEvent event : events) {
                    seen.add(event.streamVersion());
                    if (seen.size() % 10 == 5) {
                        checkedOut.add(activeConnectionsOnceSettled(oneConnection));
                        onOne.append(other, ExpectedVersion.any(), List.of(TestEvents.orderShipped()));
                    }
                }
            }

            assertThat(seen).hasSize(75);
            assertThat(checkedOut).hasSize(8).containsOnly(0);
            assertThat(onOne.streamVersion(other)).isEqualTo(8);
        }
    }

    /** Checked-out connections, once the store's sequencer thread has given back the one it may briefly take. */
    private static int activeConnectionsOnceSettled(HikariDataSource pool) throws InterruptedException {
        int active = pool.getHikariPoolMXBean().getActiveConnections();
        for (int i = 0; i < 100 && active > 0; i++) {
            Thread.sleep(20);
            active = pool.getHikariPoolMXBean().getActiveConnections();
        }
        return active;
    }

    @Test
    void appends_commit_on_a_pool_whose_connections_start_without_autocommit() {
        StreamId stream = uniqueStream("order");
        List<NewEvent> events = orderPlaced(3);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(database.jdbcUrl());
        config.setMaximumPoolSize(2);
        config.setAutoCommit(false);
        try (HikariDataSource manualCommit = new HikariDataSource(config);
                PostgresEventStore onManualCommit = PostgresEventStore.builder(manualCommit)
                        .types(TestEvents.registry())
                        .build()) {
            onManualCommit.append(stream, ExpectedVersion.noStream(), events);
        }

        // Read through the test's own store: the events were committed, not rolled back when the pool took its
        // connection back.
        assertThat(store.readStream(stream, 1, 10))
                .extracting(RecordedEvent::eventId)
                .containsExactlyElementsOf(
                        events.stream().map(NewEvent::eventId).toList());
    }

    @Test
    void a_payload_that_does_not_serialize_is_refused_and_nothing_is_written() {
        StreamId stream = uniqueStream("order");

        Throwable thrown = catchThrowable(() -> store.append(
                stream,
                ExpectedVersion.any(),
                List.of(orderPlaced(), NewEvent.of("order.broken", new Unserializable("x")))));

        assertThat(thrown)
                .isInstanceOf(EventSerializationException.class)
                .hasMessageContaining("order.broken")
                .hasMessageContaining(Unserializable.class.getName());
        assertThat(store.streamVersion(stream)).isZero();
    }

    @Test
    void raw_json_that_is_not_json_is_refused_and_nothing_is_written() {
        StreamId stream = uniqueStream("order");

        Throwable thrown = catchThrowable(() -> store.append(
                stream, ExpectedVersion.any(), List.of(NewEvent.of("order.raw", RawJson.of("{not json")))));

        Throwable twoValues = catchThrowable(() -> store.append(
                stream,
                ExpectedVersion.any(),
                List.of(
                        NewEvent.of("order.raw", RawJson.of("{\"a\": 1} {\"b\": 2}")),
                        NewEvent.of("order.raw", RawJson.of("{}")))));

        assertThat(thrown).isInstanceOf(EventSerializationException.class).hasMessageContaining("order.raw");
        assertThat(twoValues).isInstanceOf(EventSerializationException.class).hasMessageContaining("more than one");
        assertThat(store.streamVersion(stream)).isZero();
    }

    @Test
    void an_unknown_type_on_read_is_a_typed_error_or_raw_json_when_asked_for() {
        StreamId stream = uniqueStream("order");
        store.append(stream, ExpectedVersion.any(), List.of(NewEvent.of("order.mystery", RawJson.of("{\"a\": 1}"))));
        PostgresEventStore strict = PostgresEventStore.builder(database.dataSource())
                .types(TestEvents.registry())
                .build();

        Throwable thrown;
        try (strict) {
            thrown = catchThrowable(() -> strict.readStream(stream, 1, 10));
        }
        RecordedEvent raw = store.readStream(stream, 1, 10).get(0);

        assertThat(thrown)
                .isInstanceOf(UnknownEventTypeException.class)
                .hasMessageContaining("'order.mystery'")
                .hasMessageContaining(stream.value());
        assertThat(((UnknownEventTypeException) thrown).type()).isEqualTo("order.mystery");
        assertThat(raw.data()).isEqualTo(RawJson.of("{\"a\": 1}"));
    }

    @Test
    void a_database_that_is_down_gives_an_access_error() {
        PGSimpleDataSource down = new PGSimpleDataSource();
        down.setURL("jdbc:postgresql://127.0.0.1:1/nowhere?connectTimeout=2");
        PostgresEventStore unreachable = PostgresEventStore.builder(down).build();

        try (unreachable) {
            assertThatThrownBy(() ->
                            unreachable.append(uniqueStream("order"), ExpectedVersion.any(), List.of(orderPlaced())))
                    .isInstanceOf(EventStoreAccessException.class)
                    .hasMessageContaining("could not append");
            assertThatThrownBy(() -> unreachable.readAll(1, 10)).isInstanceOf(EventStoreAccessException.class);
        }
    }

    @Test
    void the_database_refuses_to_update_delete_or_truncate_events() throws SQLException {
        store.append(uniqueStream("order"), ExpectedVersion.any(), List.of(orderPlaced()));
        List<RecordedEvent> before = store.readAll(1, 10_000);

        for (String sql : List.of(
                "UPDATE nexus.events SET type = 'changed'",
                "DELETE FROM nexus.events",
                "TRUNCATE nexus.events CASCADE")) {
            Throwable thrown = catchThrowable(() -> database.execute(sql));
            assertThat(SqlErrors.sqlState(thrown)).as(sql).isEqualTo(SqlErrors.APPEND_ONLY);
        }
        assertThat(store.readAll(1, 10_000)).isNotEmpty().isEqualTo(before);
    }

    @Test
    void a_runtime_role_with_only_the_granted_rights_appends_and_reads_but_cannot_change_events() throws SQLException {
        String role = "nexus_app_" + UUID.randomUUID().toString().substring(0, 8);
        database.execute("CREATE ROLE " + role + " NOLOGIN");
        EventStoreSchema.grantRuntimeAccess(database.dataSource(), "nexus", role);
        StreamId stream = uniqueStream("order");

        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("SET ROLE " + role);
            RawAppends.append(connection, stream.value(), List.of(UUID.randomUUID()));
            statement.execute("SELECT nexus.sequence_commits()");
            Throwable update = catchThrowable(() -> statement.execute("UPDATE nexus.events SET type = 'x'"));
            Throwable delete = catchThrowable(() -> statement.execute("DELETE FROM nexus.events"));
            // The retention path's switch does not help a role that has no DELETE right.
            statement.execute("SET nexus.allow_event_removal = 'on'");
            Throwable deleteWithTheSwitch = catchThrowable(() -> statement.execute("DELETE FROM nexus.events"));
            statement.execute("RESET nexus.allow_event_removal");
            statement.execute("RESET ROLE");

            assertThat(SqlErrors.sqlState(update)).isEqualTo("42501");
            assertThat(SqlErrors.sqlState(delete)).isEqualTo("42501");
            assertThat(SqlErrors.sqlState(deleteWithTheSwitch)).isEqualTo("42501");
        } finally {
            database.execute("DROP OWNED BY " + role);
            database.execute("DROP ROLE " + role);
        }
        assertThat(store.streamVersion(stream)).isEqualTo(1);
    }

    @Test
    @Timeout(60)
    void a_re_send_while_the_original_append_is_still_in_flight_waits_for_it_and_returns_its_result() throws Exception {
        StreamId stream = uniqueStream("order");
        UUID id = UUID.randomUUID();
        NewEvent same = new NewEvent(id, "test.event", RawJson.of("{\"n\":0}"), Map.of(), null, null, null);
        store.append(stream, ExpectedVersion.noStream(), List.of(orderPlaced()));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection original = database.dataSource().getConnection()) {
            original.setAutoCommit(false);
            long version = RawAppends.append(original, stream.value(), List.of(id));
            Future<AppendResult> resend = pool.submit(() -> store.append(stream, ExpectedVersion.any(), List.of(same)));
            Thread.sleep(300);
            boolean waitedForTheOriginal = !resend.isDone();
            original.commit();

            AppendResult result = resend.get(30, TimeUnit.SECONDS);

            assertThat(waitedForTheOriginal).isTrue();
            assertThat(version).isEqualTo(2);
            assertThat(result.firstVersion()).isEqualTo(2);
            assertThat(result.nextExpectedVersion()).isEqualTo(2);
            assertThat(store.readStream(stream, 1, 10))
                    .extracting(RecordedEvent::eventId)
                    .containsOnlyOnce(id)
                    .hasSize(2);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void a_deleted_stream_keeps_its_tombstone_columns_for_the_retention_path() throws SQLException {
        StreamId stream = uniqueStream("order");
        store.append(stream, ExpectedVersion.noStream(), List.of(orderPlaced(), orderPlaced()));

        store.deleteStream(stream, ExpectedVersion.exactly(2));

        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT version, deleted_version, deleted_at IS NOT NULL"
                        + " FROM nexus.streams WHERE stream_id = '" + stream.value() + "'")) {
            assertThat(row.next()).isTrue();
            assertThat(row.getLong(1)).isEqualTo(2);
            assertThat(row.getLong(2)).isEqualTo(2);
            assertThat(row.getBoolean(3)).isTrue();
        }
    }

    @Test
    void a_bad_schema_name_is_refused_by_the_builder() {
        assertThatThrownBy(
                        () -> PostgresEventStore.builder(database.dataSource()).schema("nexus; DROP TABLE x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'nexus; DROP TABLE x'");
        assertThatThrownBy(() -> PostgresEventStore.builder("jdbc:mysql://x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(
                        () -> PostgresEventStore.builder(database.dataSource()).user("x"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void a_store_built_from_a_jdbc_url_owns_and_closes_its_pool() {
        StreamId stream = uniqueStream("order");
        try (PostgresEventStore owned =
                PostgresEventStore.builder(database.jdbcUrl()).maxPoolSize(3).build()) {
            owned.append(stream, ExpectedVersion.any(), List.of(NewEvent.of("order.raw", RawJson.of("{}"))));
        }

        assertThat(store.streamVersion(stream)).isEqualTo(1);
    }

    @Test
    void an_append_in_another_schema_is_isolated() {
        EventStoreSchema.migrate(database.dataSource(), "tenant_b");
        StreamId stream = uniqueStream("order");
        try (PostgresEventStore tenant = PostgresEventStore.builder(database.dataSource())
                .schema("tenant_b")
                .build()) {
            tenant.append(stream, ExpectedVersion.any(), List.of(NewEvent.of("order.raw", RawJson.of("{}"))));

            assertThat(tenant.streamVersion(stream)).isEqualTo(1);
            assertThat(store.streamVersion(stream)).isZero();
        }
    }
}
