package io.nexus.spring.boot;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The Actuator health of the store ({@code /actuator/health/nexus}), worst first:
 *
 * <ul>
 *   <li><b>DOWN</b>: the database cannot be reached or the schema is not migrated; or the sequencer is stuck, that
 *       is a committed event has waited longer than {@code nexus.health.sequencer-stuck-after} (default 30 s) for its
 *       global position, so no subscriber sees it or anything after it;
 *   <li><b>OUT_OF_SERVICE</b>: a durable subscription or projection is more than {@code nexus.health.max-lag}
 *       positions (default 10,000) behind the head, or dead letters are waiting (events a subscriber gave up on);
 *   <li><b>UP</b> otherwise.
 * </ul>
 *
 * <p>The details name the head, the subscribers that lag and the dead letters per subscription. Every process
 * reports the whole store (the rows are shared), so one lagging projection marks every instance OUT_OF_SERVICE: map
 * the {@code nexus} indicator out of the readiness group if that should not take instances out of a load balancer.
 * Reads only; it never runs the sequencer itself. Thread-safe.
 */
public final class NexusHealthIndicator extends AbstractHealthIndicator {
    private final StoreProbe probe;
    private final Duration sequencerStuckAfter;
    private final long maxLag;

    NexusHealthIndicator(StoreProbe probe, Duration sequencerStuckAfter, long maxLag) {
        super("Nexus health check failed");
        this.probe = requireNonNull(probe, "probe");
        this.sequencerStuckAfter = requireNonNull(sequencerStuckAfter, "sequencerStuckAfter");
        this.maxLag = maxLag;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        StoreProbe.Snapshot snapshot = probe.read(); // throws when unreachable: AbstractHealthIndicator reports DOWN
        builder.withDetail("head", snapshot.head());
        boolean stuck = false;
        if (snapshot.oldestUnsequenced().isPresent()) {
            Duration waiting = snapshot.oldestUnsequenced().get();
            builder.withDetail("oldestUnsequencedEvent", waiting.toString());
            if (waiting.compareTo(sequencerStuckAfter) > 0) {
                builder.withDetail(
                        "sequencer",
                        "stuck: a committed event has waited " + waiting + " for its position (more than "
                                + sequencerStuckAfter + ")");
                stuck = true;
            }
        }
        Map<String, Long> lagging = new LinkedHashMap<>();
        snapshot.subscribers().stream()
                .filter(subscriber -> subscriber.lag() > maxLag)
                .forEach(subscriber -> lagging.put(subscriber.kind() + " " + subscriber.name(), subscriber.lag()));
        if (!lagging.isEmpty()) {
            builder.withDetail("lagging", lagging).withDetail("maxLag", maxLag);
        }
        if (!snapshot.deadLetters().isEmpty()) {
            builder.withDetail("deadLetters", snapshot.deadLetters());
        }
        if (stuck) {
            builder.down();
        } else if (!lagging.isEmpty() || !snapshot.deadLetters().isEmpty()) {
            builder.outOfService();
        } else {
            builder.up();
        }
    }
}
