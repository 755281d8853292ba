package io.nexus.spring.boot;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The Actuator endpoint {@code nexus} ({@code /actuator/nexus} once exposed with {@code
 * management.endpoints.web.exposure.include=nexus}): the head of the global order, every durable subscription and
 * projection with its status, checkpoint, lag, owner and last error, and the dead letters per subscription.
 * Thread-safe.
 */
@Endpoint(id = "nexus")
public final class NexusEndpoint {
    private final StoreProbe probe;

    NexusEndpoint(StoreProbe probe) {
        this.probe = requireNonNull(probe, "probe");
    }

    /**
     * What the store's subscribers are doing.
     *
     * @param head the last position of the global order
     * @param subscriptions the durable subscriptions
     * @param projections the projections (sagas run as projections too)
     * @param deadLetters dead letters per subscription, only those with any
     */
    public record Report(
            long head,
            List<SubscriberState> subscriptions,
            List<SubscriberState> projections,
            Map<String, Long> deadLetters) {}

    /**
     * Reads the report.
     *
     * @return the report
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database cannot be reached
     */
    @ReadOperation
    public Report report() {
        StoreProbe.Snapshot snapshot = probe.read();
        return new Report(
                snapshot.head(),
                snapshot.subscribers().stream()
                        .filter(s -> s.kind().equals("subscription"))
                        .toList(),
                snapshot.subscribers().stream()
                        .filter(s -> s.kind().equals("projection"))
                        .toList(),
                snapshot.deadLetters());
    }
}
