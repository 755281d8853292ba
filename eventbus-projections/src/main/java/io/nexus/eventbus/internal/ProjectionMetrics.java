package io.nexus.eventbus.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.nexus.eventstore.core.RecordedEvent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The projection daemon's Micrometer meters, or nothing at all when no registry is given: every method is then a
 * no-op. Named like {@link BusMetrics}'s, under {@code nexus.projection}.
 */
public final class ProjectionMetrics {
    private final @Nullable MeterRegistry registry;
    // Gauges read from the daemon: removed on close so that a registry does not keep a closed daemon reachable.
    private final List<Meter> gauges = new CopyOnWriteArrayList<>();

    private ProjectionMetrics(@Nullable MeterRegistry registry) {
        this.registry = registry;
    }

    /** Meters on {@code registry}, or none when it is null. */
    public static ProjectionMetrics of(@Nullable MeterRegistry registry) {
        return new ProjectionMetrics(registry);
    }

    /** Registers the gauge of projections this daemon owns, read from {@code owned}. */
    public void owned(String owner, Supplier<Number> owned) {
        if (registry != null) {
            gauges.add(Gauge.builder("nexus.projection.owned", owned)
                    .description("projections whose lease this daemon holds")
                    .tag("owner", owner)
                    .register(registry));
        }
    }

    /** Registers the lag gauge of {@code projection}: the known head minus its checkpoint. */
    public void lag(String projection, Supplier<Number> lag) {
        if (registry != null) {
            gauges.add(Gauge.builder("nexus.projection.lag", lag)
                    .description("positions of the global order after the projection's checkpoint")
                    .tag("projection", projection)
                    .register(registry));
        }
    }

    /**
     * Records one committed batch of {@code projection}, which took {@code nanos}: its events counted per event type
     * (one counter per type, a bounded set in any application that does not build type names from data), its time
     * per projection only, as one batch mixes types.
     */
    public void batchCommitted(String projection, List<RecordedEvent> events, long nanos) {
        if (registry != null) {
            Map<String, Long> perType = new HashMap<>();
            events.forEach(event -> perType.merge(event.type(), 1L, Long::sum));
            MeterRegistry meters = registry;
            perType.forEach((type, count) -> Counter.builder("nexus.projection.events.processed")
                    .tag("projection", projection)
                    .tag("type", type)
                    .register(meters)
                    .increment(count));
            Timer.builder("nexus.projection.batch.time")
                    .tag("projection", projection)
                    .register(registry)
                    .record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Records a failed batch of {@code projection}; every failed batch is retried after a delay. */
    public void batchFailed(String projection) {
        if (registry != null) {
            Counter.builder("nexus.projection.batch.failures")
                    .tag("projection", projection)
                    .register(registry)
                    .increment();
        }
    }

    /** Counts events retention removed before {@code projection} processed them. */
    public void removedBeforeProcessed(String projection, long count) {
        if (registry != null) {
            Counter.builder("nexus.projection.events.removed")
                    .description("events retention removed before the projection processed them")
                    .tag("projection", projection)
                    .register(registry)
                    .increment((double) count);
        }
    }

    /** Records a rebuild of {@code projection}. */
    public void rebuilt(String projection) {
        if (registry != null) {
            Counter.builder("nexus.projection.rebuilds")
                    .tag("projection", projection)
                    .register(registry)
                    .increment();
        }
    }

    /** Removes the gauges; counters and timers stay, as Micrometer expects. */
    public void close() {
        if (registry != null) {
            gauges.forEach(registry::remove);
            gauges.clear();
        }
    }
}
