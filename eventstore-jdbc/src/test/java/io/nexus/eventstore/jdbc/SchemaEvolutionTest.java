package io.nexus.eventstore.jdbc;

import static io.nexus.eventstore.core.contract.EvolvingEvents.checkedOut;
import static io.nexus.eventstore.core.contract.EvolvingEvents.clientSignedUp;
import static io.nexus.eventstore.core.contract.EvolvingEvents.customerV1;
import static io.nexus.eventstore.core.contract.EvolvingEvents.customerV2;
import static io.nexus.eventstore.core.contract.TestEvents.uniqueStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.UnknownEventTypeException;
import io.nexus.eventstore.core.UnknownTypePolicy;
import io.nexus.eventstore.core.contract.EvolvingEvents;
import io.nexus.eventstore.core.contract.EvolvingEvents.CustomerRegistered;
import io.nexus.eventstore.core.contract.EvolvingEvents.OrderPaid;
import io.nexus.eventstore.core.contract.EvolvingEvents.OrderPlaced;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Upcasters on the store's read paths: stream reads forward and backward, the global order, its lazy iteration. */
@PostgresTest
class SchemaEvolutionTest {
    private final TestDatabase database;
    private final List<PostgresEventStore> stores = new ArrayList<>();
    private final PostgresEventStore current;

    SchemaEvolutionTest(TestDatabase database) {
        this.database = database;
        this.current = store(EvolvingEvents.registry());
    }

    private PostgresEventStore store(EventTypeRegistry types) {
        PostgresEventStore store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .types(types)
                .build();
        stores.add(store);
        return store;
    }

    @AfterEach
    void close() {
        stores.forEach(PostgresEventStore::close);
    }

    /** A stream written over the years: v1, v2 and v3 of one type, and an event under the type's old name. */
    private StreamId historyOfThreeVersions() {
        StreamId stream = uniqueStream("customer");
        store(EvolvingEvents.writerAt(1))
                .append(stream, ExpectedVersion.noStream(), List.of(customerV1("c1", "Ada", "Lovelace")));
        store(EvolvingEvents.writerAt(2))
                .append(stream, ExpectedVersion.exactly(1), List.of(customerV2("c2", "Alan", "Turing", "UK")));
        current.append(
                stream,
                ExpectedVersion.exactly(2),
                List.of(NewEvent.of(new CustomerRegistered("c3", "Grace Hopper", "US"))));
        store(EventTypeRegistry.rawJson())
                .append(stream, ExpectedVersion.exactly(3), List.of(clientSignedUp("c4", "Edsger", "Dijkstra")));
        return stream;
    }

    private static final List<CustomerRegistered> CURRENT_SHAPES = List.of(
            new CustomerRegistered("c1", "Ada Lovelace", "NL"),
            new CustomerRegistered("c2", "Alan Turing", "UK"),
            new CustomerRegistered("c3", "Grace Hopper", "US"),
            new CustomerRegistered("c4", "Edsger Dijkstra", "NL"));

    @Test
    void a_stream_read_upcasts_v1_and_v2_through_the_chain_and_renames_the_old_type() {
        StreamId stream = historyOfThreeVersions();

        List<RecordedEvent> read = current.readStream(stream, 1, 10);

        assertThat(read).extracting(RecordedEvent::data).containsExactlyElementsOf(CURRENT_SHAPES);
        assertThat(read).extracting(RecordedEvent::type).containsOnly("customer.registered");
        assertThat(read).extracting(RecordedEvent::schemaVersion).containsOnly(3);
        assertThat(read).extracting(RecordedEvent::streamVersion).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void a_backward_stream_read_and_the_lazy_iteration_upcast_too() {
        StreamId stream = historyOfThreeVersions();

        List<RecordedEvent> backward = current.readStreamBackward(stream, Long.MAX_VALUE, 10);
        List<Object> iterated = new ArrayList<>();
        current.streamEvents(stream, 1, 2).forEach(event -> iterated.add(event.data()));

        List<CustomerRegistered> newestFirst = new ArrayList<>(CURRENT_SHAPES);
        java.util.Collections.reverse(newestFirst);
        assertThat(backward).extracting(RecordedEvent::data).containsExactlyElementsOf(newestFirst);
        assertThat(iterated).containsExactlyElementsOf(CURRENT_SHAPES);
    }

    @Test
    void the_global_order_upcasts_filtered_and_unfiltered_pages() {
        long before = current.headPosition();
        StreamId stream = historyOfThreeVersions();

        List<RecordedEvent> all = current.readAll(before + 1, 1_000);
        List<RecordedEvent> byCategory = current.readAll(before + 1, 1_000, EventFilter.categories("customer"));
        // Filters name the type as read: the renamed event is found under its new name, not its stored one.
        List<RecordedEvent> byType = current.readAll(before + 1, 2, EventFilter.types("customer.registered"));
        List<RecordedEvent> byOldType = current.readAll(before + 1, 1_000, EventFilter.types("client.signed_up"));
        List<Object> iterated = new ArrayList<>();
        current.allEvents(before + 1, EventFilter.ALL, 3).forEach(event -> iterated.add(event.data()));

        assertThat(all).extracting(RecordedEvent::streamId).containsOnly(stream);
        assertThat(all).extracting(RecordedEvent::data).containsExactlyElementsOf(CURRENT_SHAPES);
        assertThat(byCategory).extracting(RecordedEvent::data).containsExactlyElementsOf(CURRENT_SHAPES);
        assertThat(byType).extracting(RecordedEvent::data).containsExactlyElementsOf(CURRENT_SHAPES.subList(0, 2));
        assertThat(byOldType).isEmpty();
        assertThat(iterated).containsExactlyElementsOf(CURRENT_SHAPES);
    }

    @Test
    void a_split_event_reads_as_two_events_at_one_position_with_stable_ids() {
        StreamId stream = uniqueStream("shop");
        NewEvent old = checkedOut("o-1", "12345678901234567.10");
        store(EventTypeRegistry.rawJson()).append(stream, ExpectedVersion.noStream(), List.of(old));

        List<RecordedEvent> read = current.readStream(stream, 1, 10);
        List<RecordedEvent> again = current.readAll(read.get(0).position(), 10);

        assertThat(read)
                .extracting(RecordedEvent::data)
                .containsExactly(
                        new OrderPlaced("o-1", new BigDecimal("12345678901234567.10")),
                        new OrderPaid("o-1", new BigDecimal("12345678901234567.10")));
        assertThat(read).extracting(RecordedEvent::streamVersion).containsExactly(1L, 1L);
        assertThat(read.get(0).position()).isEqualTo(read.get(1).position());
        assertThat(read.get(0).eventId()).isEqualTo(old.eventId());
        assertThat(read.get(1).eventId()).isNotEqualTo(old.eventId());
        assertThat(again)
                .extracting(RecordedEvent::eventId)
                .containsExactly(read.get(0).eventId(), read.get(1).eventId());
    }

    /** A page counts stored events: a split one fills one place of it, and its parts come together. */
    @Test
    void a_page_of_the_global_order_counts_a_split_event_once() {
        StreamId stream = uniqueStream("shop");
        store(EventTypeRegistry.rawJson())
                .append(stream, ExpectedVersion.noStream(), List.of(checkedOut("o-2", "10.00")));
        for (int version = 1; version <= 2; version++) {
            current.append(
                    stream,
                    ExpectedVersion.exactly(version),
                    List.of(NewEvent.of(new CustomerRegistered("c" + version, "Customer", "NL"))));
        }
        long first = current.readStream(stream, 1, 1).get(0).position();

        List<RecordedEvent> page = current.readAll(first, 2);
        List<RecordedEvent> upTo = current.readAllUpTo(first, current.headPosition(), 2, EventFilter.ALL);

        assertThat(page).extracting(RecordedEvent::streamVersion).containsExactly(1L, 1L, 2L);
        assertThat(EventStore.positionsIn(page)).isEqualTo(2);
        assertThat(upTo)
                .extracting(RecordedEvent::eventId)
                .isEqualTo(page.stream().map(RecordedEvent::eventId).toList());
        assertThat(current.readAll(first + 2, 2))
                .extracting(RecordedEvent::streamVersion)
                .containsExactly(3L);
    }

    @Test
    void the_store_records_the_current_version_and_types_that_never_changed_carry_none() throws Exception {
        StreamId stream = uniqueStream("customer");
        current.append(
                stream,
                ExpectedVersion.noStream(),
                List.of(
                        NewEvent.of(new CustomerRegistered("c9", "Barbara Liskov", "US")),
                        NewEvent.of(new OrderPlaced("o-9", BigDecimal.ONE))));

        List<String> stored = new ArrayList<>();
        try (var connection = database.dataSource().getConnection();
                var query = connection.prepareStatement("SELECT metadata::text FROM " + database.schema()
                        + ".events WHERE stream_id = ? ORDER BY stream_version")) {
            query.setString(1, stream.value());
            try (var rows = query.executeQuery()) {
                while (rows.next()) {
                    stored.add(rows.getString(1));
                }
            }
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        }

        assertThat(stored).containsExactly("{\"nexus.schema_version\": 3}", null);
    }

    @Test
    void one_unregistered_type_leaves_the_stream_readable_by_default_and_fails_only_when_strict() {
        StreamId stream = uniqueStream("customer");
        current.append(
                stream,
                ExpectedVersion.noStream(),
                List.of(
                        NewEvent.of(new CustomerRegistered("c5", "Ken Thompson", "US")),
                        NewEvent.of("customer.mystery", RawJson.of("{\"x\":1}"))));
        PostgresEventStore strict = store(
                EvolvingEvents.builder().unknownTypes(UnknownTypePolicy.FAIL).build());

        List<RecordedEvent> lenient = current.readStream(stream, 1, 10);
        Throwable thrown = catchThrowable(() -> strict.readStream(stream, 1, 10));

        assertThat(lenient)
                .extracting(RecordedEvent::data)
                .containsExactly(new CustomerRegistered("c5", "Ken Thompson", "US"), RawJson.of("{\"x\": 1}"));
        assertThat(thrown)
                .isInstanceOf(UnknownEventTypeException.class)
                .hasMessageContaining("'customer.mystery'")
                .hasMessageContaining(stream.value());
    }

    @Test
    void a_stored_version_without_an_upcaster_is_a_typed_error_naming_the_gap() {
        StreamId stream = uniqueStream("customer");
        store(EvolvingEvents.writerAt(2))
                .append(stream, ExpectedVersion.noStream(), List.of(customerV2("c6", "Niklaus", "Wirth", "CH")));
        PostgresEventStore withoutStep2 = store(EventTypeRegistry.builder()
                .register(CustomerRegistered.class)
                .upcastData("customer.registered", 1, data -> data.put("country", "NL"))
                .build());

        Throwable thrown = catchThrowable(() -> withoutStep2.readStream(stream, 1, 10));

        assertThat(thrown)
                .isInstanceOf(EventSerializationException.class)
                .hasMessageContaining("'customer.registered'")
                .hasMessageContaining("schema version 2")
                .hasMessageContaining("register an upcaster from version 2");
    }

    @Test
    void a_failing_upcaster_is_a_typed_error_naming_type_version_and_place() {
        StreamId stream = uniqueStream("customer");
        store(EvolvingEvents.writerAt(1))
                .append(stream, ExpectedVersion.noStream(), List.of(customerV1("c7", "Donald", "Knuth")));
        PostgresEventStore broken = store(EventTypeRegistry.builder()
                .upcast("customer.registered", 1, stored -> {
                    throw new IllegalStateException("boom");
                })
                .build());

        Throwable thrown = catchThrowable(() -> broken.readStream(stream, 1, 10));

        assertThat(thrown)
                .isInstanceOf(EventSerializationException.class)
                .hasMessageContaining("upcaster from version 1 failed")
                .hasMessageContaining(stream.value())
                .hasRootCauseMessage("boom");
    }
}
