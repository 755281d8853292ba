package io.nexus.benchmarks;

import io.nexus.eventstore.core.DataSubject;
import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.PersonalData;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The cost of reading personal data: two 1,000-event streams of the same shape, one whose e-mail and name are
 * {@link PersonalData} (encrypted, 10 subjects), one without, read by one store. "personal": every read looks the
 * page's keys up in the table (one query, never a cached key, so an erasure in any process is seen at once) and
 * decrypts each event (JSON tree, AES-GCM per field, back to bytes, record). "plain": bytes → record.
 */
final class ReadStreamPersonal implements Workload {
    private static final int SUBJECTS = 10;

    @EventType("customer.contact")
    record Contact(
            @DataSubject String customerId,
            @PersonalData String name,
            @PersonalData String email,
            String plan) {}

    @EventType("customer.contact_plain")
    record PlainContact(String customerId, String name, String email, String plan) {}

    private final StreamId personal = StreamId.of("customer-read-personal");
    private final StreamId plain = StreamId.of("customer-read-plain");
    private @Nullable PostgresEventStore store;

    @Override
    public String name() {
        return "read one stream, personal data";
    }

    @Override
    public String description() {
        return ReadStream.EVENTS + "-event stream with two encrypted fields per event (" + SUBJECTS
                + " subjects), keys read once per page; plain: the same shape unencrypted";
    }

    @Override
    public void setUp(Bench bench) throws Exception {
        PostgresEventStore reading = PostgresEventStore.builder(bench.dataSource)
                .schema(Bench.NEXUS_SCHEMA)
                .types(EventTypeRegistry.builder()
                        .register(Contact.class, PlainContact.class)
                        .build())
                .build();
        store = reading;
        for (int b = 0; b < ReadStream.EVENTS / BatchAppend.BATCH; b++) {
            List<NewEvent> encrypted = new ArrayList<>();
            List<NewEvent> clear = new ArrayList<>();
            for (int i = 0; i < BatchAppend.BATCH; i++) {
                String subject = "subject-" + (i % SUBJECTS);
                encrypted.add(NewEvent.of(new Contact(subject, "Ada Lovelace", "ada@example.org", "gold")));
                clear.add(NewEvent.of(new PlainContact(subject, "Ada Lovelace", "ada@example.org", "gold")));
            }
            reading.append(personal, ExpectedVersion.any(), encrypted);
            reading.append(plain, ExpectedVersion.any(), clear);
        }
        reading.headPosition();
    }

    @Override
    public void tearDown(Bench bench) {
        if (store != null) {
            store.close();
        }
    }

    @Override
    public List<Side> sides() {
        return List.of(
                new Side("personal", bench -> read(bench, personal)), new Side("plain", bench -> read(bench, plain)));
    }

    private long read(Bench bench, StreamId stream) {
        return ReadStream.readWhole(
                bench,
                Objects.requireNonNull(store),
                stream,
                event -> event.data().hashCode());
    }
}
