package io.nexus.benchmarks;

import io.nexus.eventbus.DurableSubscription;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Commit → handler latency through the bus on an idle system: a {@link PostgresEventBus} on the benchmark's store
 * with one listener, either in-process ({@code subscribe}) or durable ({@code subscribeDurable}). Events are emitted
 * one at a time with a pause between, so each finds the system idle; the latency of one event runs from right after
 * {@code emit} returned (its append has committed) to the moment the listener is called with it. One-sided: there is
 * no raw baseline, only the target on the 99th percentile.
 */
final class CommitToHandler implements Workload {
    static final double TARGET_P99_MILLIS = 10;
    private static final long PAUSE_MILLIS = 20;
    private static final long TIMEOUT_SECONDS = 10;

    private final boolean durable;
    private final LatencySamples latencies = new LatencySamples();
    private @Nullable PostgresEventBus bus;
    private @Nullable DurableSubscription subscription;
    private volatile @Nullable Pending pending;
    private int roundsRun;

    CommitToHandler(boolean durable) {
        this.durable = durable;
    }

    /** The event being waited for, and when its listener saw it. */
    private static final class Pending {
        final UUID id;
        final CountDownLatch handled = new CountDownLatch(1);
        volatile long handledAt;

        Pending(UUID id) {
            this.id = id;
        }
    }

    @Override
    public String name() {
        return durable ? "commit → handler, durable" : "commit → handler, in-process";
    }

    @Override
    public String description() {
        return "latency from emit's return (committed) to the " + (durable ? "durable" : "in-process")
                + " listener, one event at a time, " + PAUSE_MILLIS + " ms apart";
    }

    @Override
    public Double latencyTargetMillis() {
        return TARGET_P99_MILLIS;
    }

    @Override
    public int warmUpRounds(Sizes sizes) {
        return 1;
    }

    @Override
    public int rounds(Sizes sizes) {
        return 1;
    }

    @Override
    public void setUp(Bench bench) {
        PostgresEventBus created =
                PostgresEventBus.builder(bench.store, bench.dataSource).build();
        bus = created;
        if (durable) {
            subscription = created.subscribeDurable("bench-latency-" + UUID.randomUUID(), Payloads.TYPE, this::handle);
        } else {
            created.subscribe(Payloads.TYPE, this::handle);
        }
    }

    private void handle(RecordedEvent event) {
        long now = System.nanoTime();
        Pending waiting = pending;
        if (waiting != null && waiting.id.equals(event.eventId())) {
            waiting.handledAt = now;
            waiting.handled.countDown();
        }
    }

    @Override
    public void tearDown(Bench bench) {
        if (subscription != null) {
            subscription.close();
        }
        if (bus != null) {
            bus.close();
        }
    }

    @Override
    public List<Side> sides() {
        return List.of(new Side("nexus", this::round, latencies));
    }

    private long round(Bench bench) throws InterruptedException {
        PostgresEventBus emitter = Objects.requireNonNull(bus, "set up first");
        // the first round is the warm-up (its samples are cleared by the harness): a fifth of the measured one
        int events = roundsRun++ == 0 ? Math.max(5, bench.sizes.latencyEvents() / 5) : bench.sizes.latencyEvents();
        for (int i = 0; i < events; i++) {
            Thread.sleep(PAUSE_MILLIS);
            NewEvent event = Payloads.newEvent();
            Pending waiting = new Pending(event.eventId());
            pending = waiting;
            emitter.emit(event);
            long committed = System.nanoTime();
            if (!waiting.handled.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name() + ": event " + event.eventId()
                        + " did not reach the listener in " + TIMEOUT_SECONDS + " s");
            }
            latencies.add(waiting.handledAt - committed);
        }
        pending = null;
        return events;
    }
}
