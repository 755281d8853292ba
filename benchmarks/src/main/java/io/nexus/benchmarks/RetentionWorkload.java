package io.nexus.benchmarks;

import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.EventRetention;
import io.nexus.eventstore.jdbc.RetentionPolicy;
import io.nexus.eventstore.jdbc.RetentionReport;
import io.nexus.eventstore.jdbc.RetentionScope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Removing expired events while appends continue. Set-up appends {@link Sizes#catchUpEvents()} events (one million in
 * the full run) to a category of their own and makes them 40 days old. Side {@code during retention}: {@value
 * #WRITERS} writers append one event per transaction while {@link EventRetention} removes every expired event of that
 * category (batches of {@link EventRetention#DEFAULT_BATCH_SIZE}); the round ends when retention is done, so its
 * duration is retention's and its rate the appends' throughput meanwhile. Side {@code appends alone}: the same writers
 * append as many events again with no retention running. The ratio is the append throughput during retention over without it.
 */
final class RetentionWorkload implements Workload {
    static final String NAME = "retention";
    private static final int WRITERS = 8;
    private static final String CATEGORY = "expired";
    private static final int LOAD_BATCH = 1_000;

    private volatile Duration lastRetention = Duration.ofSeconds(10);
    private volatile long retentionAppends;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "appends by " + WRITERS + " writers while retention removes the expired events (rate: appends during"
                + " retention); beside: the same writers alone";
    }

    @Override
    public int warmUpRounds(Sizes sizes) {
        return 0;
    }

    @Override
    public int rounds(Sizes sizes) {
        return 1;
    }

    @Override
    public void setUp(Bench bench) throws Exception {
        long started = System.nanoTime();
        int total = bench.sizes.catchUpEvents();
        for (int loaded = 0, stream = 0; loaded < total; loaded += LOAD_BATCH, stream++) {
            List<NewEvent> events = new ArrayList<>(LOAD_BATCH);
            for (int i = 0; i < Math.min(LOAD_BATCH, total - loaded); i++) {
                events.add(Payloads.newEvent());
            }
            bench.store.append(StreamId.of(CATEGORY, stream), ExpectedVersion.any(), events);
        }
        String events = Bench.NEXUS_SCHEMA + ".events";
        // Everything stored so far becomes 40 days old, as it would be in a store that has run that long: the
        // global order stays chronological (an age walk stops at the first window ordered after the cutoff, so
        // other workloads' recent events ahead of the expired ones would end it at once). Only the expired
        // category is in the policy's scope.
        bench.execute("ALTER TABLE " + events + " DISABLE TRIGGER events_append_only_trg");
        bench.execute("UPDATE " + events + " SET recorded_at = now() - interval '40 days'");
        bench.execute("ALTER TABLE " + events + " ENABLE TRIGGER events_append_only_trg");
        bench.execute("UPDATE " + Bench.NEXUS_SCHEMA + ".commits SET sequenced_at = now() - interval '40 days'");
        bench.execute("VACUUM (ANALYZE) " + events);
        bench.execute("VACUUM (ANALYZE) " + Bench.NEXUS_SCHEMA + ".commits");
        System.out.printf("  loaded and aged %,d events in %.1f s%n", total, (System.nanoTime() - started) / 1e9);
    }

    @Override
    public List<Side> sides() {
        return List.of(new Side("during retention", this::duringRetention), new Side("appends alone", this::alone));
    }

    private long duringRetention(Bench bench) throws Exception {
        EventRetention retention = EventRetention.create(bench.dataSource, Bench.NEXUS_SCHEMA);
        AtomicBoolean done = new AtomicBoolean();
        long started = System.nanoTime();
        CompletableFuture<RetentionReport> report = CompletableFuture.supplyAsync(() -> {
            try {
                return retention.force(
                        RetentionPolicy.maxAge(Duration.ofDays(30)).in(RetentionScope.category(CATEGORY)));
            } finally {
                done.set(true);
            }
        });
        long appends = appendUntil(bench, done::get);
        RetentionReport result = report.get();
        lastRetention = Duration.ofNanos(System.nanoTime() - started);
        retentionAppends = appends;
        System.out.printf(
                "  retention removed %,d events in %,d batches in %.1f s while %d writers appended %,d events%n",
                result.removed(), result.batches(), lastRetention.toMillis() / 1e3, WRITERS, appends);
        return appends;
    }

    private long alone(Bench bench) throws Exception {
        // As many appends as during retention: the harness compares the sides' rates over equal work.
        long target = retentionAppends > 0 ? retentionAppends : 10_000;
        AtomicLong left = new AtomicLong(target);
        long started = System.nanoTime();
        long appends = appendUntil(bench, () -> left.getAndDecrement() <= 0);
        System.out.printf(
                "  %d writers alone appended %,d events in %.1f s (during retention: %.1f s)%n",
                WRITERS, appends, (System.nanoTime() - started) / 1e9, lastRetention.toMillis() / 1e3);
        return appends;
    }

    private interface Stop {
        boolean now();
    }

    private static long appendUntil(Bench bench, Stop stop) throws Exception {
        List<Callable<Long>> tasks = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            tasks.add(() -> {
                long count = 0;
                while (!stop.now()) {
                    bench.store.append(bench.nextStream(), ExpectedVersion.noStream(), List.of(Payloads.newEvent()));
                    count++;
                }
                return count;
            });
        }
        long total = 0;
        for (Future<Long> done : bench.writers.invokeAll(tasks, 1, TimeUnit.HOURS)) {
            total += done.get();
        }
        bench.store.headPosition(); // the ordering work is part of the cost
        return total;
    }
}
