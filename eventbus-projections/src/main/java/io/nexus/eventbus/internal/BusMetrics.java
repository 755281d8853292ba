package io.nexus.eventbus.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The bus's Micrometer meters, or nothing at all when no registry is given: every method is then a no-op, and no
 * Micrometer class is touched beyond this one's signatures.
 *
 * <p>Emitted and processed events are tagged with their event type, so one meter exists per type (and, for processed
 * events, per subscription): fine for the bounded set of type names an application declares, wrong for type names
 * built from data.
 */
public final class BusMetrics {
    /** The {@code subscription} tag of in-process (non-durable) listeners. */
    public static final String IN_PROCESS = "in-process";

    private final @Nullable MeterRegistry registry;
    private final AtomicInteger activeDurable = new AtomicInteger();
    // Gauges read from the bus: removed on close so that a registry does not keep a closed bus reachable.
    private final List<Meter> gauges = new CopyOnWriteArrayList<>();

    private BusMetrics(@Nullable MeterRegistry registry) {
        this.registry = registry;
        if (registry != null) {
            gauges.add(Gauge.builder("nexus.bus.subscriptions.active", activeDurable, AtomicInteger::get)
                    .description("durable subscriptions this process currently consumes (holds the lease of)")
                    .tag("kind", "durable")
                    .register(registry));
        }
    }

    /** Removes the gauges this bus registered; counters and timers stay, as Micrometer expects. */
    public void close() {
        if (registry != null) {
            gauges.forEach(registry::remove);
            gauges.clear();
        }
    }

    /** Meters on {@code registry}, or none when it is null. */
    public static BusMetrics of(@Nullable MeterRegistry registry) {
        return new BusMetrics(registry);
    }

    /** Registers the gauge of in-process subscriptions, read from {@code count}. */
    public void inProcessSubscriptions(Supplier<Number> count) {
        if (registry != null) {
            gauges.add(Gauge.builder("nexus.bus.subscriptions.active", count)
                    .description("in-process subscriptions")
                    .tag("kind", "in-process")
                    .register(registry));
        }
    }

    public void emitted(String type) {
        if (registry != null) {
            Counter.builder("nexus.bus.events.emitted")
                    .tag("type", type)
                    .register(registry)
                    .increment();
        }
    }

    /** Records one event of {@code type} handled by {@code subscription} in {@code nanos}. */
    public void processed(String subscription, String type, long nanos) {
        if (registry != null) {
            Counter.builder("nexus.bus.events.processed")
                    .tag("subscription", subscription)
                    .tag("type", type)
                    .register(registry)
                    .increment();
            Timer.builder("nexus.bus.processing.time")
                    .tag("subscription", subscription)
                    .tag("type", type)
                    .register(registry)
                    .record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    public void retried(String subscription) {
        if (registry != null) {
            Counter.builder("nexus.bus.retries")
                    .tag("subscription", subscription)
                    .register(registry)
                    .increment();
        }
    }

    /** Counts events retention removed before durable {@code subscription} processed them. */
    public void removedBeforeProcessed(String subscription, long count) {
        if (registry != null) {
            Counter.builder("nexus.bus.events.removed")
                    .description("events retention removed before the subscription processed them")
                    .tag("subscription", subscription)
                    .register(registry)
                    .increment((double) count);
        }
    }

    public void deadLettered(String subscription) {
        if (registry != null) {
            Counter.builder("nexus.bus.dead.letters")
                    .tag("subscription", subscription)
                    .register(registry)
                    .increment();
        }
    }

    public void leaseAcquired() {
        activeDurable.incrementAndGet();
    }

    public void leaseReleased() {
        activeDurable.decrementAndGet();
    }

    /** Registers the lag gauge of {@code subscription}; returns a handle that removes it. */
    public Runnable lag(String subscription, Supplier<Number> lag) {
        if (registry == null) {
            return () -> {};
        }
        MeterRegistry meters = registry;
        Meter gauge = Gauge.builder("nexus.bus.subscription.lag", lag)
                .description("events in the global order after the subscription's checkpoint")
                .tag("subscription", subscription)
                .register(meters);
        return () -> meters.remove(gauge);
    }
}
