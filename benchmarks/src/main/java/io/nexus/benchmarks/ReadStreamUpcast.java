package io.nexus.benchmarks;

import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The cost of one upcaster: the same 1,000-event stream (stored as schema version 1) read by two stores that differ
 * only in their registry. "upcast": {@link OrderCreated} is version 2 and one upcaster takes version 1 to 2 (it adds
 * a field on the JSON tree), so every event goes bytes → tree → upcaster → bytes → record. "plain": version 1, no
 * upcaster, bytes → record, as in {@link ReadStream}.
 */
final class ReadStreamUpcast implements Workload {
    private final StreamId stream = StreamId.of("order-read-upcast");
    private @Nullable PostgresEventStore upcasting;

    @Override
    public String name() {
        return "read one stream, one upcaster";
    }

    @Override
    public String description() {
        return ReadStream.EVENTS
                + "-event stream decoded to records through one upcaster (v1 -> v2); plain: no upcaster";
    }

    @Override
    public void setUp(Bench bench) throws Exception {
        for (int b = 0; b < ReadStream.EVENTS / BatchAppend.BATCH; b++) {
            List<NewEvent> events = new ArrayList<>();
            for (int i = 0; i < BatchAppend.BATCH; i++) {
                events.add(Payloads.newEvent());
            }
            bench.store.append(stream, ExpectedVersion.any(), events);
        }
        bench.store.headPosition();
        upcasting = PostgresEventStore.builder(bench.dataSource)
                .schema(Bench.NEXUS_SCHEMA)
                .types(EventTypeRegistry.builder()
                        .register("order.created", 2, OrderCreated.class)
                        .upcastData("order.created", 1, data -> data.putIfAbsent("channel", "web"))
                        .build())
                .build();
    }

    @Override
    public void tearDown(Bench bench) {
        if (upcasting != null) {
            upcasting.close();
        }
    }

    @Override
    public List<Side> sides() {
        return List.of(
                new Side("upcast", bench -> read(bench, java.util.Objects.requireNonNull(upcasting))),
                new Side("plain", bench -> read(bench, bench.store)));
    }

    private long read(Bench bench, PostgresEventStore store) {
        return ReadStream.readWhole(
                bench,
                store,
                stream,
                event -> event.dataAs(OrderCreated.class).items().size() + event.schemaVersion());
    }
}
