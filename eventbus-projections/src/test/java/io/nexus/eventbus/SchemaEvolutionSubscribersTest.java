package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.contract.EvolvingEvents;
import io.nexus.eventstore.core.contract.EvolvingEvents.ContactChanged;
import io.nexus.eventstore.core.contract.EvolvingEvents.CustomerOnboarded;
import io.nexus.eventstore.core.contract.EvolvingEvents.CustomerRegistered;
import io.nexus.eventstore.core.contract.TestEvents;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Upcasters and crypto-shredding where the bus reads: durable subscriptions and projections (sagas read through the
 * same engine); and the erasure test of issue 12: erase a subject, rebuild a projection, and no plaintext of the
 * subject is left in any table of the database.
 */
@PostgresTest
@Timeout(120)
class SchemaEvolutionSubscribersTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final BusConfig FAST = BusConfig.builder()
            .batchSize(50)
            .flushInterval(Duration.ofMillis(20))
            .retryDelay(Duration.ofMillis(50))
            .build();

    private final TestDatabase database;
    private final Jdbi jdbi;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final PostgresEventStore store;

    SchemaEvolutionSubscribersTest(TestDatabase database) {
        this.database = database;
        this.jdbi = Jdbi.create(database.dataSource());
        this.store = store(EvolvingEvents.registry());
    }

    private PostgresEventStore store(EventTypeRegistry types) {
        PostgresEventStore created = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .types(types)
                .build();
        closeables.add(created);
        return created;
    }

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /** Four events in three schema versions and an old type name; returns the last append. */
    private AppendResult appendHistory(StreamId stream) {
        store(EvolvingEvents.writerAt(1))
                .append(
                        stream,
                        ExpectedVersion.noStream(),
                        List.of(EvolvingEvents.customerV1("c1", "Ada", "Lovelace")));
        store(EvolvingEvents.writerAt(2))
                .append(
                        stream,
                        ExpectedVersion.exactly(1),
                        List.of(EvolvingEvents.customerV2("c2", "Alan", "Turing", "UK")));
        store(EventTypeRegistry.rawJson())
                .append(
                        stream,
                        ExpectedVersion.exactly(2),
                        List.of(EvolvingEvents.clientSignedUp("c3", "Edsger", "Dijkstra")));
        return store.append(
                stream,
                ExpectedVersion.exactly(3),
                List.of(NewEvent.of(new CustomerRegistered("c4", "Grace Hopper", "US"))));
    }

    private static final List<CustomerRegistered> CURRENT_SHAPES = List.of(
            new CustomerRegistered("c1", "Ada Lovelace", "NL"),
            new CustomerRegistered("c2", "Alan Turing", "UK"),
            new CustomerRegistered("c3", "Edsger Dijkstra", "NL"),
            new CustomerRegistered("c4", "Grace Hopper", "US"));

    private void createTable(String table, String columns) {
        jdbi.useHandle(h -> {
            h.execute("CREATE TABLE " + table + " (" + columns + ")");
            if (h.isInTransaction()) {
                h.commit();
            }
        });
    }

    private ProjectionDaemon startDaemon(Projection projection) {
        ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                .register(projection)
                .config(FAST)
                .build()
                .start();
        closeables.add(daemon);
        return daemon;
    }

    @Test
    void a_durable_subscription_receives_every_old_version_upcast() throws Exception {
        StreamId stream = TestEvents.uniqueStream("customer");
        PostgresEventBus bus = PostgresEventBus.builder(store, database.dataSource())
                .config(FAST)
                .build();
        closeables.add(bus);
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        bus.subscribeDurable("customers-" + UUID.randomUUID(), "customer.*", event -> {
            if (event.streamId().equals(stream)) {
                received.add(event);
            }
        });

        appendHistory(stream);
        await("the subscription received four events").atMost(WAIT).until(() -> received.size() >= 4);

        assertThat(received).extracting(RecordedEvent::data).containsExactlyElementsOf(CURRENT_SHAPES);
        assertThat(received).extracting(RecordedEvent::schemaVersion).containsOnly(3);
    }

    @Test
    void a_projection_applies_every_old_version_upcast() throws Exception {
        StreamId stream = TestEvents.uniqueStream("customer");
        String table =
                database.schema() + ".customers_" + UUID.randomUUID().toString().substring(0, 8);
        createTable(table, "id text PRIMARY KEY, name text, country text");
        Projection customers = Projection.of(
                "customers-" + UUID.randomUUID(),
                EventFilter.types("customer.registered"),
                (handle, event) -> {
                    if (!event.streamId().equals(stream)) {
                        return; // another test's history
                    }
                    CustomerRegistered customer = event.dataAs(CustomerRegistered.class);
                    handle.createUpdate("INSERT INTO " + table + " VALUES (:id, :name, :country)")
                            .bind("id", customer.customerId())
                            .bind("name", customer.name())
                            .bind("country", customer.country())
                            .execute();
                },
                handle -> handle.execute("DELETE FROM " + table));
        ProjectionDaemon daemon = startDaemon(customers);

        AppendResult last = appendHistory(stream);
        daemon.awaitProjection(customers.name(), last, WAIT);

        List<CustomerRegistered> rows =
                jdbi.withHandle(h -> h.createQuery("SELECT id, name, country FROM " + table + " ORDER BY id")
                        .map((rs, ctx) -> new CustomerRegistered(rs.getString(1), rs.getString(2), rs.getString(3)))
                        .list());
        assertThat(rows).containsExactlyElementsOf(CURRENT_SHAPES);
    }

    /**
     * An upcaster that splits one stored event makes a page longer than its batch: the batch is full by positions
     * (two stored events), not by events (three). Counted by events, the consumer took the page for the end of the
     * order and moved its checkpoint to the head, past events it never read.
     */
    @Test
    void a_split_event_fills_a_batch_by_its_position_so_a_small_batch_skips_nothing() throws Exception {
        StreamId stream = TestEvents.uniqueStream("shop");
        store(EventTypeRegistry.rawJson())
                .append(stream, ExpectedVersion.noStream(), List.of(EvolvingEvents.checkedOut("o-1", "10")));
        AppendResult last = null;
        for (int i = 1; i <= 5; i++) {
            last = store.append(
                    stream,
                    ExpectedVersion.exactly(i),
                    List.of(NewEvent.of(new CustomerRegistered("c" + i, "Customer " + i, "NL"))));
        }
        BusConfig batchOfTwo = BusConfig.builder()
                .batchSize(2)
                .flushInterval(Duration.ofMillis(20))
                .build();
        List<String> expected = List.of(
                "shop.order_placed@1",
                "shop.order_paid@1",
                "customer.registered@2",
                "customer.registered@3",
                "customer.registered@4",
                "customer.registered@5",
                "customer.registered@6");
        List<String> applied = new CopyOnWriteArrayList<>();
        Projection projection = Projection.of(
                "split-" + UUID.randomUUID(),
                EventFilter.ALL,
                (handle, event) -> {
                    if (event.streamId().equals(stream)) {
                        applied.add(event.type() + "@" + event.streamVersion());
                    }
                },
                handle -> applied.clear());
        List<String> received = new CopyOnWriteArrayList<>();
        PostgresEventBus bus = PostgresEventBus.builder(store, database.dataSource())
                .config(batchOfTwo)
                .build();
        closeables.add(bus);
        ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                .register(projection)
                .config(batchOfTwo)
                .build();
        closeables.add(daemon);

        bus.subscribeDurable("split-" + UUID.randomUUID(), "*", event -> {
            if (event.streamId().equals(stream)) {
                received.add(event.type() + "@" + event.streamVersion());
            }
        });
        daemon.start().awaitProjection(projection.name(), last, WAIT);
        await("the subscription received seven events").atMost(WAIT).until(() -> received.size() >= expected.size());

        assertThat(applied).containsExactlyElementsOf(expected);
        assertThat(received).containsExactlyElementsOf(expected);
    }

    @Test
    void after_erasure_a_rebuilt_projection_and_every_table_hold_no_plaintext_of_the_subject() throws Exception {
        String erased = "cust-" + UUID.randomUUID();
        String kept = "cust-" + UUID.randomUUID();
        String table =
                database.schema() + ".contacts_" + UUID.randomUUID().toString().substring(0, 8);
        createTable(table, "id text PRIMARY KEY, name text, email text, plan text");
        Projection contacts = Projection.of(
                "contacts-" + UUID.randomUUID(),
                EventFilter.types("customer.contact_changed"),
                (handle, event) -> {
                    ContactChanged contact = event.dataAs(ContactChanged.class);
                    handle.createUpdate("INSERT INTO " + table + " VALUES (:id, :name, :email, :plan)"
                                    + " ON CONFLICT (id) DO UPDATE SET name = :name, email = :email, plan = :plan")
                            .bind("id", contact.customerId())
                            .bind("name", contact.name())
                            .bind("email", contact.email())
                            .bind("plan", contact.plan())
                            .execute();
                },
                handle -> handle.execute("DELETE FROM " + table));
        ProjectionDaemon daemon = startDaemon(contacts);
        StreamId stream = TestEvents.uniqueStream("customer");
        store.append(
                stream,
                ExpectedVersion.noStream(),
                List.of(
                        NewEvent.of(new ContactChanged(erased, "Ada Lovelace", "ada@example.org", "gold")),
                        NewEvent.of(new ContactChanged(kept, "Alan Turing", "alan@example.org", "silver"))));
        AppendResult last = store.append(
                stream,
                ExpectedVersion.exactly(2),
                List.of(NewEvent.of(new ContactChanged(erased, "Ada King", "ada.king@example.org", "platinum"))));
        daemon.awaitProjection(contacts.name(), last, WAIT);
        assertThat(everyTableAsText()).contains("Ada King", "ada.king@example.org", "Alan Turing");

        store.eraseSubject(erased);
        daemon.rebuild(contacts.name());
        daemon.awaitProjection(contacts.name(), last, WAIT);

        String everything = everyTableAsText();
        assertThat(everything)
                .doesNotContain("Ada Lovelace", "ada@example.org", "Ada King", "ada.king@example.org")
                .contains("Alan Turing", "alan@example.org", "platinum");
        List<String> row = jdbi.withHandle(h -> h.createQuery(
                        "SELECT concat_ws('|', id, coalesce(name, '<null>'), coalesce(email, '<null>'), plan) FROM "
                                + table + " ORDER BY plan")
                .mapTo(String.class)
                .list());
        assertThat(row)
                .containsExactly(erased + "|<null>|<null>|platinum", kept + "|Alan Turing|alan@example.org|silver");
    }

    @Test
    void after_erasure_nested_personal_data_is_in_no_table_once_the_projection_is_rebuilt() throws Exception {
        String erased = "cust-" + UUID.randomUUID();
        String kept = "cust-" + UUID.randomUUID();
        String table =
                database.schema() + ".onboarded_" + UUID.randomUUID().toString().substring(0, 8);
        createTable(table, "id text PRIMARY KEY, customer text");
        Projection onboarded = Projection.of(
                "onboarded-" + UUID.randomUUID(),
                EventFilter.types("customer.onboarded"),
                (handle, event) -> {
                    CustomerOnboarded data = event.dataAs(CustomerOnboarded.class);
                    handle.createUpdate("INSERT INTO " + table + " VALUES (:id, :customer)"
                                    + " ON CONFLICT (id) DO UPDATE SET customer = :customer")
                            .bind("id", data.customerId())
                            .bind("customer", data.customer() + " " + data.byLabel())
                            .execute();
                },
                handle -> handle.execute("DELETE FROM " + table));
        ProjectionDaemon daemon = startDaemon(onboarded);
        AppendResult last = store.append(
                TestEvents.uniqueStream("customer"),
                ExpectedVersion.noStream(),
                List.of(
                        NewEvent.of(EvolvingEvents.onboarded(erased, "Grace")),
                        NewEvent.of(EvolvingEvents.onboarded(kept, "Edsger"))));
        daemon.awaitProjection(onboarded.name(), last, WAIT);
        assertThat(everyTableAsText()).contains("Grace@example.org", "Grace Street 1", "Grace Road 3");

        store.eraseSubject(erased);
        daemon.rebuild(onboarded.name());
        daemon.awaitProjection(onboarded.name(), last, WAIT);

        assertThat(everyTableAsText())
                .doesNotContain("Grace@example.org", "Grace Street", "Grace Lane", "Grace Road")
                .contains("Customer Grace", "Edsger@example.org", "Edsger Street 1", "Edsger Road 3");
    }

    /** Every row of every table in the test's database (all schemas but the catalogs), as text. */
    private String everyTableAsText() {
        return jdbi.withHandle(h -> {
            List<String> tables = h.createQuery("SELECT quote_ident(table_schema) || '.' || quote_ident(table_name)"
                            + " FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
                            + " AND table_schema NOT IN ('pg_catalog', 'information_schema')")
                    .mapTo(String.class)
                    .list();
            assertThat(tables).anyMatch(t -> t.endsWith(".events")).anyMatch(t -> t.endsWith(".subject_keys"));
            StringBuilder all = new StringBuilder();
            for (String table : tables) {
                h.createQuery("SELECT t::text FROM " + table + " t")
                        .mapTo(String.class)
                        .forEach(text -> all.append(text).append('\n'));
            }
            return all.toString();
        });
    }
}
