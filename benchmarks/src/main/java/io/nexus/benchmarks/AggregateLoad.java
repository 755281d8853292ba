package io.nexus.benchmarks;

import static java.util.Objects.requireNonNull;

import io.nexus.eventsourcing.Aggregate;
import io.nexus.eventsourcing.AggregateRepository;
import io.nexus.eventsourcing.AggregateType;
import io.nexus.eventsourcing.Decider;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresSnapshotStore;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Loads a 10,000-event aggregate through {@link AggregateRepository}: with snapshots every 100 events (the latest
 * snapshot plus the 50 events after it), and without (a fold of all 10,000, decoded to {@link OrderCreated}). The
 * ratio is what snapshots buy; the rate counts the aggregate's 10,000 events per load on both sides.
 */
final class AggregateLoad implements Workload {
    static final int EVENTS = 10_000;
    private static final int AFTER_SNAPSHOT = 50;
    private static final String ID = "bench-aggregate";

    /** The folded state: how many orders and items the aggregate has seen. */
    record Tally(long orders, long items) {}

    private static final Decider<Object, OrderCreated, Tally> DECIDER = Decider.of(
            new Tally(0, 0),
            (tally, order) ->
                    new Tally(tally.orders() + 1, tally.items() + order.items().size()),
            (command, tally) -> List.of());

    // Built in setUp, once the store exists.
    private @Nullable AggregateRepository<Object, OrderCreated, Tally> withSnapshots;
    private @Nullable AggregateRepository<Object, OrderCreated, Tally> withoutSnapshots;

    @Override
    public String name() {
        return "load a 10,000-event aggregate";
    }

    @Override
    public String description() {
        return "snapshots every 100 (snapshot + " + AFTER_SNAPSHOT + " events) beside a fold of all " + EVENTS;
    }

    @Override
    public void setUp(Bench bench) throws Exception {
        AggregateType<Object, OrderCreated, Tally> snapshotted = AggregateType.builder(
                        "benchagg", DECIDER, Tally.class, OrderCreated.class)
                .snapshotEvery(100)
                .build();
        AggregateRepository<Object, OrderCreated, Tally> snapshots = AggregateRepository.builder(
                        bench.store, snapshotted)
                .snapshots(PostgresSnapshotStore.of(bench.store))
                .snapshotExecutor(Runnable::run)
                .build();
        withoutSnapshots = AggregateRepository.builder(
                        bench.store,
                        AggregateType.builder("benchagg", DECIDER, Tally.class, OrderCreated.class)
                                .build())
                .build();
        withSnapshots = snapshots;
        append(bench, EVENTS - AFTER_SNAPSHOT);
        snapshots.load(ID); // folds everything once and snapshots at 9,950
        append(bench, AFTER_SNAPSHOT);
        check(snapshots.load(ID), AFTER_SNAPSHOT);
    }

    private static void append(Bench bench, int count) {
        for (int done = 0; done < count; done += BatchAppend.BATCH) {
            List<NewEvent> events = new ArrayList<>();
            for (int i = 0; i < Math.min(BatchAppend.BATCH, count - done); i++) {
                events.add(Payloads.newEvent());
            }
            bench.store.append(StreamId.of("benchagg", ID), ExpectedVersion.any(), events);
        }
    }

    @Override
    public List<Side> sides() {
        return List.of(
                new Side("snapshots", bench -> loads(bench, requireNonNull(withSnapshots), AFTER_SNAPSHOT)),
                new Side("full fold", bench -> loads(bench, requireNonNull(withoutSnapshots), EVENTS)));
    }

    private static long loads(Bench bench, AggregateRepository<Object, OrderCreated, Tally> repository, long read) {
        int loads = Math.max(1, bench.sizes.streamReadsPerRound() / 10);
        for (int i = 0; i < loads; i++) {
            check(repository.load(ID), read);
        }
        return (long) loads * EVENTS;
    }

    private static void check(Aggregate<Tally> loaded, long read) {
        if (loaded.version() != EVENTS || loaded.state().orders() != EVENTS || loaded.eventsRead() != read) {
            throw new IllegalStateException("loaded " + loaded + ", expected version " + EVENTS + " reading " + read);
        }
    }
}
