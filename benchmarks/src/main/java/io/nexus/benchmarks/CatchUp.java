package io.nexus.benchmarks;

import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the whole global order from the start. Both stores are first filled to the same number of events (those
 * the other workloads wrote, topped up with 1,000-event appends), then vacuumed. Nexus: {@code readAll} page after
 * page, decoded to records. Raw: one {@code ORDER BY id} scan of the minimal read-baseline table, streamed with
 * the page size as fetch size, payloads left as JSON text. Meant to run in {@code -Xmx256m}.
 */
final class CatchUp implements Workload {
    private static final int LOAD_BATCH = 1_000;

    @Override
    public String name() {
        return "catch-up";
    }

    @Override
    public String description() {
        return "global order from position 1 in pages, decoded; raw: ordered scan returning JSON text";
    }

    @Override
    public Double target() {
        return 0.8;
    }

    @Override
    public int warmUpRounds(Sizes sizes) {
        return 1;
    }

    @Override
    public int rounds(Sizes sizes) {
        return sizes.catchUpRounds();
    }

    @Override
    public void setUp(Bench bench) throws Exception {
        long target = Math.max(bench.sizes.catchUpEvents(), Math.max(bench.store.headPosition(), bench.raw.count()));
        long started = System.nanoTime();
        for (long have = bench.store.headPosition(); have < target; have += LOAD_BATCH) {
            List<NewEvent> events = new ArrayList<>(LOAD_BATCH);
            for (int i = 0; i < Math.min(LOAD_BATCH, target - have); i++) {
                events.add(Payloads.newEvent());
            }
            bench.store.append(bench.nextStream(), ExpectedVersion.noStream(), events);
        }
        long nexusLoaded = System.nanoTime();
        for (long have = bench.raw.count(); have < target; have += LOAD_BATCH) {
            bench.raw.appendBatch(bench.nextStream(), (int) Math.min(LOAD_BATCH, target - have));
        }
        long rawLoaded = System.nanoTime();
        long nexusCount = bench.store.headPosition();
        long rawCount = bench.raw.count();
        if (nexusCount != target || rawCount != target) {
            throw new IllegalStateException("catch-up needs " + target + " events in each store, Nexus has "
                    + nexusCount + " and raw " + rawCount);
        }
        bench.execute("VACUUM (ANALYZE) " + Bench.NEXUS_SCHEMA + ".events");
        bench.execute("VACUUM (ANALYZE) " + Bench.NEXUS_SCHEMA + ".commits");
        bench.execute("VACUUM (ANALYZE) " + Bench.RAW_SCHEMA + ".events");
        System.out.printf(
                "  loaded %,d events per store (Nexus %.1f s, raw %.1f s), vacuumed%n",
                target, (nexusLoaded - started) / 1e9, (rawLoaded - nexusLoaded) / 1e9);
    }

    @Override
    public List<Side> sides() {
        return List.of(new Side("nexus", CatchUp::nexus), new Side("raw", CatchUp::raw));
    }

    private static long nexus(Bench bench) {
        int pageSize = bench.sizes.pageSize();
        long read = 0;
        long checksum = 0;
        long from = 1;
        while (true) {
            List<RecordedEvent> page = bench.store.readAll(from, pageSize);
            for (RecordedEvent event : page) {
                if (event.data() instanceof OrderCreated order) {
                    checksum += order.items().size();
                }
                checksum += event.metadata().size();
            }
            read += page.size();
            if (page.size() < pageSize) {
                break;
            }
            from = page.get(page.size() - 1).position() + 1;
        }
        Bench.consume(checksum);
        return read;
    }

    private static long raw(Bench bench) throws Exception {
        return bench.raw.scanAll(bench.sizes.pageSize());
    }
}
