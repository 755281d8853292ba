package io.nexus.eventstore.jdbc;

import static io.nexus.eventstore.core.contract.TestEvents.uniqueStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.DataSubject;
import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.Snapshot;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.contract.EvolvingEvents;
import io.nexus.eventstore.core.contract.EvolvingEvents.ContactChanged;
import io.nexus.eventstore.core.contract.EvolvingEvents.CustomerOnboarded;
import io.nexus.eventstore.core.spi.SubjectKey;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Crypto-shredding on the store: personal fields stored encrypted, erasure, the key race, idempotent re-sends. */
@PostgresTest
@Timeout(60)
class PersonalDataTest {
    private final TestDatabase database;
    private final PostgresEventStore store;

    PersonalDataTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .types(EvolvingEvents.registry())
                .build();
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static String subject() {
        return "cust-" + UUID.randomUUID();
    }

    private List<String> storedData(StreamId stream) throws Exception {
        List<String> data = new ArrayList<>();
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement(
                        "SELECT data::text || ' ' || coalesce(metadata::text, '')" + " FROM " + database.schema()
                                + ".events WHERE stream_id = ? ORDER BY stream_version")) {
            query.setString(1, stream.value());
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    data.add(rows.getString(1));
                }
            }
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        }
        return data;
    }

    /** What appending one event of {@code data} to {@code stream} throws; null if it did not. */
    private Throwable refusedAppend(StreamId stream, Object data) {
        return catchThrowable(() -> store.append(stream, ExpectedVersion.noStream(), List.of(NewEvent.of(data))));
    }

    private long keyRows(String subject) throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement(
                        "SELECT count(*) FROM " + database.schema() + ".subject_keys WHERE subject = ?")) {
            query.setString(1, subject);
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                long count = rows.getLong(1);
                if (!connection.getAutoCommit()) {
                    connection.rollback();
                }
                return count;
            }
        }
    }

    /**
     * A snapshot is a fold of a stream's events with their personal fields decrypted: erasing the subject deletes the
     * snapshots of every stream holding its encrypted values, so the next load folds again and reads them masked.
     * Snapshots of other streams stay.
     */
    /** What an aggregate of contacts might snapshot: the name in the clear. */
    record ContactState(String name) {}

    @Test
    void erasing_a_subject_deletes_the_snapshots_of_the_streams_holding_its_personal_data() throws Exception {
        String erased = subject();
        String kept = subject();
        StreamId ofErased = uniqueStream("customer");
        StreamId ofKept = uniqueStream("customer");
        store.append(
                ofErased,
                ExpectedVersion.noStream(),
                List.of(NewEvent.of(new ContactChanged(erased, "Ada Lovelace", "ada@example.org", "gold"))));
        store.append(
                ofKept,
                ExpectedVersion.noStream(),
                List.of(NewEvent.of(new ContactChanged(kept, "Alan Turing", "alan@example.org", "silver"))));
        PostgresSnapshotStore snapshots = PostgresSnapshotStore.of(store);
        Instant now = Instant.now();
        snapshots.save(new Snapshot<>(ofErased, "contact", 1, 1, new ContactState("Ada Lovelace"), now));
        snapshots.save(new Snapshot<>(ofKept, "contact", 1, 1, new ContactState("Alan Turing"), now));

        assertThat(store.eraseSubject(erased)).isTrue();

        assertThat(snapshots.load(ofErased, "contact", 1, ContactState.class)).isEmpty();
        assertThat(snapshots.load(ofKept, "contact", 1, ContactState.class))
                .hasValueSatisfying(
                        snapshot -> assertThat(snapshot.state().name()).isEqualTo("Alan Turing"));
        assertThat(store.eraseSubject(erased))
                .as("a second erasure finds no key")
                .isFalse();
    }

    @Test
    void personal_fields_are_stored_encrypted_and_read_back_decrypted() throws Exception {
        StreamId stream = uniqueStream("customer");
        String subject = subject();
        ContactChanged changed = new ContactChanged(subject, "Ada Lovelace", "ada@example.org", "gold");

        store.append(stream, ExpectedVersion.noStream(), List.of(NewEvent.of(changed)));

        assertThat(storedData(stream))
                .singleElement()
                .satisfies(row -> assertThat(row)
                        .doesNotContain("Ada Lovelace")
                        .doesNotContain("ada@example.org")
                        .contains("gold")
                        .contains("nexus:pii:1:")
                        .contains("\"nexus.encrypted\": true"));
        RecordedEvent read = store.readStream(stream, 1, 1).get(0);
        assertThat(read.data()).isEqualTo(changed);
        assertThat(read.isRedacted()).isFalse();
        assertThat(read.metadataValues()).doesNotContainKey("nexus.encrypted");
    }

    @Test
    void erasing_a_subject_masks_its_fields_on_every_read_and_leaves_the_rest_and_other_subjects_alone() {
        StreamId stream = uniqueStream("customer");
        String erased = subject();
        String kept = subject();
        store.append(
                stream,
                ExpectedVersion.noStream(),
                List.of(
                        NewEvent.of(new ContactChanged(erased, "Ada Lovelace", "ada@example.org", "gold")),
                        NewEvent.of(new ContactChanged(kept, "Alan Turing", "alan@example.org", "silver"))));
        long position = store.readStream(stream, 1, 1).get(0).position();

        boolean hadKey = store.eraseSubject(erased);
        boolean again = store.eraseSubject(erased);
        List<RecordedEvent> read = store.readStream(stream, 1, 10);
        List<RecordedEvent> global = store.readAll(position, 2);

        assertThat(hadKey).isTrue();
        assertThat(again).isFalse();
        for (List<RecordedEvent> events : List.of(read, global)) {
            assertThat(events.get(0).data()).isEqualTo(new ContactChanged(erased, null, null, "gold"));
            assertThat(events.get(0).isRedacted()).isTrue();
            assertThat(events.get(1).data())
                    .isEqualTo(new ContactChanged(kept, "Alan Turing", "alan@example.org", "silver"));
            assertThat(events.get(1).isRedacted()).isFalse();
        }
    }

    @Test
    void a_store_on_another_pool_that_has_used_the_key_decrypts_nothing_once_the_erasure_committed() {
        StreamId stream = uniqueStream("customer");
        String subject = subject();
        ContactChanged changed = new ContactChanged(subject, "Ada Lovelace", "ada@example.org", "gold");
        store.append(stream, ExpectedVersion.noStream(), List.of(NewEvent.of(changed)));
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(database.jdbcUrl());
        config.setAutoCommit(database.autoCommit());
        config.setMaximumPoolSize(2);
        try (HikariDataSource otherPool = new HikariDataSource(config);
                PostgresEventStore other = PostgresEventStore.builder(otherPool)
                        .schema(database.schema())
                        .types(EvolvingEvents.registry())
                        .build()) {
            RecordedEvent before = other.readStream(stream, 1, 1).get(0);
            UUID keyId = UUID.fromString(
                    storedKeyId(other.storedForm().readStream(stream, 1, 1).get(0)));
            assertThat(before.data()).isEqualTo(changed);
            assertThat(other.readAll(before.position(), 1).get(0).data()).isEqualTo(changed);
            assertThat(other.personalDataKeys().find(keyId)).isPresent();

            store.eraseSubject(subject);

            assertThat(other.readStream(stream, 1, 1).get(0).isRedacted()).isTrue();
            assertThat(other.readAll(before.position(), 1).get(0).data())
                    .isEqualTo(new ContactChanged(subject, null, null, "gold"));
            assertThat(other.personalDataKeys().find(keyId)).isEmpty();
        }
    }

    /** The key id in the first encrypted value of an event read in its stored form. */
    private static String storedKeyId(RecordedEvent stored) {
        String json = ((RawJson) stored.data()).json();
        int start = json.indexOf("nexus:pii:1:") + "nexus:pii:1:".length();
        return json.substring(start, start + 36);
    }

    @Test
    void personal_fields_in_nested_records_lists_and_maps_are_encrypted_and_masked_after_erasure() throws Exception {
        StreamId stream = uniqueStream("customer");
        String subject = subject();
        CustomerOnboarded onboarded = EvolvingEvents.onboarded(subject, "Grace");

        store.append(stream, ExpectedVersion.noStream(), List.of(NewEvent.of(onboarded)));
        RecordedEvent read = store.readStream(stream, 1, 1).get(0);
        store.eraseSubject(subject);
        RecordedEvent erased = store.readStream(stream, 1, 1).get(0);

        assertThat(storedData(stream))
                .singleElement()
                .satisfies(row -> assertThat(row)
                        .doesNotContain("Grace@example.org", "Grace Street", "Grace Lane", "Grace Road")
                        .contains("Customer Grace", "London", "Paris", "Rome", "gold"));
        assertThat(read.data()).isEqualTo(onboarded);
        assertThat(read.isRedacted()).isFalse();
        assertThat(erased.data()).isEqualTo(EvolvingEvents.onboardedErased(subject, "Grace"));
        assertThat(erased.isRedacted()).isTrue();
    }

    /** A payload with a personal field at the top and in a nested record, but no subject. */
    @EventType("customer.unnamed")
    record Unnamed(EvolvingEvents.Address address) {}

    @Test
    void nested_personal_data_without_a_subject_is_refused_naming_the_class_and_nothing_is_written() {
        StreamId stream = uniqueStream("customer");

        Throwable thrown = refusedAppend(stream, new Unnamed(new EvolvingEvents.Address("Elm Street", "Oslo")));

        assertThat(thrown)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Unnamed.class.getName())
                .hasMessageContaining("@DataSubject");
        assertThat(store.streamVersion(stream)).isZero();
    }

    /** Holds anything: personal data in it is only seen at run time. */
    @EventType("customer.wrapped")
    record Wrapped(@DataSubject String customerId, Object payload) {}

    @Test
    void personal_data_behind_a_component_declared_as_object_is_refused_naming_it_and_nothing_is_written() {
        StreamId stream = uniqueStream("customer");

        Throwable thrown = refusedAppend(
                stream, new Wrapped(subject(), List.of(new EvolvingEvents.Address("Elm Street", "Oslo"))));

        assertThat(thrown)
                .isInstanceOf(EventSerializationException.class)
                .hasMessageContaining("payload[]")
                .hasMessageContaining(EvolvingEvents.Address.class.getName())
                .hasMessageContaining("declare the concrete type");
        assertThat(store.streamVersion(stream)).isZero();
        assertThat(store.append(
                        stream,
                        ExpectedVersion.noStream(),
                        List.of(NewEvent.of(new Wrapped(subject(), List.of("no personal data here"))))))
                .isNotNull();
    }

    @Test
    void a_re_sent_append_with_personal_data_is_idempotent() {
        StreamId stream = uniqueStream("customer");
        NewEvent event = NewEvent.of(new ContactChanged(subject(), "Ada Lovelace", "ada@example.org", "gold"));

        AppendResult first = store.append(stream, ExpectedVersion.noStream(), List.of(event));
        AppendResult resent = store.append(stream, ExpectedVersion.noStream(), List.of(event));

        assertThat(resent).isEqualTo(first);
        assertThat(store.streamVersion(stream)).isEqualTo(1);
    }

    @RepeatedTest(3)
    void appends_racing_for_a_new_subject_create_exactly_one_key() throws Exception {
        String subject = subject();
        int writers = 8;
        CyclicBarrier start = new CyclicBarrier(writers);
        ExecutorService threads = Executors.newFixedThreadPool(writers);
        List<StreamId> streams = new ArrayList<>();
        List<Future<AppendResult>> appends = new ArrayList<>();
        try {
            for (int i = 0; i < writers; i++) {
                StreamId stream = uniqueStream("customer");
                streams.add(stream);
                ContactChanged event = new ContactChanged(subject, "Writer " + i, i + "@example.org", "gold");
                // Each writer has its own store, so no key cache is shared: the database settles the race.
                appends.add(threads.submit(() -> {
                    try (PostgresEventStore own = PostgresEventStore.builder(database.dataSource())
                            .schema(database.schema())
                            .types(EvolvingEvents.registry())
                            .build()) {
                        start.await(10, TimeUnit.SECONDS);
                        return own.append(stream, ExpectedVersion.noStream(), List.of(NewEvent.of(event)));
                    }
                }));
            }
            for (Future<AppendResult> append : appends) {
                append.get(30, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }

        assertThat(keyRows(subject)).isEqualTo(1);
        for (int i = 0; i < writers; i++) {
            assertThat(store.readStream(streams.get(i), 1, 1)
                            .get(0)
                            .dataAs(ContactChanged.class)
                            .name())
                    .isEqualTo("Writer " + i);
        }
        store.eraseSubject(subject);
        assertThat(keyRows(subject)).isZero();
        for (StreamId stream : streams) {
            assertThat(store.readStream(stream, 1, 1).get(0).isRedacted()).isTrue();
        }
    }

    @Test
    void key_material_never_shows_in_to_string_nor_in_errors() {
        String subject = subject();
        SubjectKey key = store.personalDataKeys().keyOf(subject);
        String secretHex = HexFormat.of().formatHex(key.secret().getEncoded());
        StreamId stream = uniqueStream("customer");
        store.append(
                stream,
                ExpectedVersion.noStream(),
                List.of(NewEvent.of(new ContactChanged(subject, "Ada", "ada@example.org", "gold"))));
        database.execute("UPDATE " + database.schema() + ".subject_keys SET secret = '\\x" + "00".repeat(32)
                + "' WHERE subject = '" + subject + "'");
        try (PostgresEventStore fresh = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .types(EvolvingEvents.registry())
                .build()) {

            Throwable wrongKey = catchThrowable(() -> fresh.readStream(stream, 1, 1));

            assertThat(key.toString()).isEqualTo("SubjectKey[id=" + key.id() + "]");
            assertThat(wrongKey).hasMessageContaining("does not decrypt with key " + key.id());
            for (Throwable t = wrongKey; t != null; t = t.getCause()) {
                assertThat(String.valueOf(t.getMessage())).doesNotContainIgnoringCase(secretHex);
            }
        }
    }

    @Test
    void an_event_with_personal_data_but_no_subject_is_refused_and_nothing_is_written() {
        StreamId stream = uniqueStream("customer");

        Throwable thrown = refusedAppend(stream, new ContactChanged(null, "Ada", "ada@example.org", "gold"));

        assertThat(thrown).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("@DataSubject");
        assertThat(store.streamVersion(stream)).isZero();
    }
}
