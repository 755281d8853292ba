package io.nexus.benchmarks;

import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Reads a whole 1,000-event stream. Nexus: {@code readStream} decoded to {@link OrderCreated} records and metadata
 * maps. Raw: a SELECT of every column of the stream's rows on the minimal read-baseline table,
 * payloads left as JSON text.
 */
final class ReadStream implements Workload {
    static final int EVENTS = 1_000;

    private final StreamId nexusStream = StreamId.of("order-read-nexus");
    private final StreamId rawStream = StreamId.of("order-read-raw");

    @Override
    public String name() {
        return "read one stream";
    }

    @Override
    public String description() {
        return EVENTS + "-event stream decoded to records; raw: SELECT returning JSON text";
    }

    @Override
    public Double target() {
        return 0.8;
    }

    @Override
    public void setUp(Bench bench) throws Exception {
        for (int b = 0; b < EVENTS / BatchAppend.BATCH; b++) {
            List<NewEvent> events = new ArrayList<>();
            for (int i = 0; i < BatchAppend.BATCH; i++) {
                events.add(Payloads.newEvent());
            }
            bench.store.append(nexusStream, ExpectedVersion.any(), events);
        }
        bench.store.headPosition();
        bench.raw.appendBatch(rawStream, EVENTS);
    }

    @Override
    public List<Side> sides() {
        return List.of(new Side("nexus", this::nexus), new Side("raw", this::raw));
    }

    private long nexus(Bench bench) {
        return readWhole(
                bench,
                bench.store,
                nexusStream,
                event -> event.dataAs(OrderCreated.class).items().size()
                        + event.metadata().size());
    }

    private long raw(Bench bench) throws Exception {
        int reads = bench.sizes.streamReadsPerRound();
        for (int r = 0; r < reads; r++) {
            check(bench.raw.readStream(rawStream, EVENTS));
        }
        return (long) reads * EVENTS;
    }

    /**
     * Reads the whole {@link #EVENTS}-event {@code stream} through {@code store} as often as a round asks, adding up
     * {@code checksum} of each event so the decoding cannot be optimized away; returns the events read.
     */
    static long readWhole(
            Bench bench, PostgresEventStore store, StreamId stream, ToLongFunction<RecordedEvent> checksum) {
        int reads = bench.sizes.streamReadsPerRound();
        long sum = 0;
        for (int r = 0; r < reads; r++) {
            List<RecordedEvent> events = store.readStream(stream, 1, EVENTS);
            check(events.size());
            for (RecordedEvent event : events) {
                sum += checksum.applyAsLong(event);
            }
        }
        Bench.consume(sum);
        return (long) reads * EVENTS;
    }

    private static void check(long read) {
        if (read != EVENTS) {
            throw new IllegalStateException("read " + read + " events of the stream, expected " + EVENTS);
        }
    }
}
