package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nexus.eventstore.core.NewEvent;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MemoryEventBusMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void emitted_processed_timing_subscriptions_and_queue_depth_are_recorded() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch handled = new CountDownLatch(3);
        try (MemoryEventBus bus =
                MemoryEventBus.builder().meterRegistry(registry).build()) {
            bus.subscribe("order.*", event -> {
                release.await(10, TimeUnit.SECONDS);
                handled.countDown();
            });

            for (int i = 0; i < 3; i++) {
                bus.emit(NewEvent.of("order.placed", "{}"));
            }
            double queuedWhileBlocked =
                    registry.get("nexus.bus.subscription.lag").gauge().value();
            double active = registry.get("nexus.bus.subscriptions.active")
                    .tag("kind", "in-process")
                    .gauge()
                    .value();
            release.countDown();
            assertThat(handled.await(10, TimeUnit.SECONDS)).isTrue();

            assertThat(queuedWhileBlocked).isGreaterThanOrEqualTo(2);
            assertThat(active).isEqualTo(1);
            assertThat(registry.get("nexus.bus.events.emitted").counter().count())
                    .isEqualTo(3);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            // The listener returns before the bus counts it, and the counter moves just before the timer: wait for
            // both.
            while ((registry.get("nexus.bus.events.processed").counter().count() < 3
                            || registry.get("nexus.bus.processing.time").timer().count() < 3)
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(registry.get("nexus.bus.events.processed").counter().count())
                    .isEqualTo(3);
            assertThat(registry.get("nexus.bus.processing.time").timer().count())
                    .isEqualTo(3);
        }
        assertThat(registry.find("nexus.bus.subscription.lag").gauge()).isNull();
    }

    @Test
    void without_a_registry_or_with_metrics_off_nothing_is_recorded() {
        try (MemoryEventBus off = MemoryEventBus.builder()
                .config(BusConfig.builder().metricsEnabled(false).build())
                .meterRegistry(registry)
                .build()) {
            off.emit(NewEvent.of("order.placed", "{}"));
        }

        assertThat(registry.getMeters()).isEmpty();
    }

    @Test
    void processed_events_are_counted_and_timed_per_event_type() throws Exception {
        CountDownLatch handled = new CountDownLatch(5);
        try (MemoryEventBus bus =
                MemoryEventBus.builder().meterRegistry(registry).build()) {
            bus.subscribe("order.*", event -> handled.countDown());

            for (int i = 0; i < 3; i++) {
                bus.emit(NewEvent.of("order.placed", "{}"));
            }
            for (int i = 0; i < 2; i++) {
                bus.emit(NewEvent.of("order.shipped", "{}"));
            }
            assertThat(handled.await(10, TimeUnit.SECONDS)).isTrue();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            // The timer moves just after the listener returns: wait until all five are timed.
            while (registry.find("nexus.bus.processing.time").timers().stream()
                                    .mapToLong(Timer::count)
                                    .sum()
                            < 5
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }

            assertThat(processed("order.placed")).isEqualTo(3);
            assertThat(processed("order.shipped")).isEqualTo(2);
            assertThat(timed("order.placed")).isEqualTo(3);
            assertThat(timed("order.shipped")).isEqualTo(2);
            assertThat(registry.find("nexus.bus.events.processed").counters().stream()
                            .mapToDouble(Counter::count)
                            .sum())
                    .isEqualTo(5);
        }
    }

    private double processed(String type) {
        return registry.get("nexus.bus.events.processed")
                .tags("subscription", "in-process", "type", type)
                .counter()
                .count();
    }

    private long timed(String type) {
        return registry.get("nexus.bus.processing.time")
                .tags("subscription", "in-process", "type", type)
                .timer()
                .count();
    }
}
