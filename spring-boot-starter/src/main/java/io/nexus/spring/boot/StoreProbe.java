package io.nexus.spring.boot;

import io.nexus.eventbus.SubscriptionAdmin;
import io.nexus.eventbus.SubscriptionStatus;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.eventstore.jdbc.SequencerStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * What the health indicator and the endpoint read, through the store's and the subscriptions' own reads (the ones the
 * {@code nexus} command uses): the sequencer's status read without sequencing ({@link
 * PostgresEventStore#sequencerStatus()}), never {@code headPosition()}, which runs the sequencer, so it would wait
 * behind a stuck sequencing run (the very thing to report) and would unstick one that nobody ran, hiding it.
 */
final class StoreProbe {
    /**
     * A snapshot of the store.
     *
     * @param head the last position the sequencer gave
     * @param oldestUnsequenced how long the oldest committed event without a position has waited (since its
     *     transaction started), empty when every committed event has one
     * @param subscribers durable subscriptions and projections, by kind, then name
     * @param deadLetters the number of dead letters per subscription, only those with any
     */
    record Snapshot(
            long head,
            Optional<Duration> oldestUnsequenced,
            List<SubscriberState> subscribers,
            Map<String, Long> deadLetters) {}

    private final PostgresEventStore store;
    private final SubscriptionAdmin subscriptions;

    /**
     * A probe of {@code store}.
     *
     * @param store the store
     * @param dataSource its pool
     */
    StoreProbe(PostgresEventStore store, DataSource dataSource) {
        this.store = store;
        this.subscriptions = SubscriptionAdmin.create(store, dataSource);
    }

    /**
     * Reads the snapshot.
     *
     * @return the snapshot
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database cannot be reached
     * @throws io.nexus.eventstore.core.SchemaNotMigratedException if the schema is not migrated
     */
    Snapshot read() {
        SequencerStatus sequencer = store.sequencerStatus();
        List<SubscriberState> subscribers = new ArrayList<>();
        for (SubscriptionStatus.Kind kind : SubscriptionStatus.Kind.values()) {
            subscriptions.list(kind, sequencer.head()).stream()
                    .map(StoreProbe::state)
                    .forEach(subscribers::add);
        }
        return new Snapshot(
                sequencer.head(),
                sequencer.oldestUnsequenced(),
                List.copyOf(subscribers),
                subscriptions.deadLetters().counts());
    }

    private static SubscriberState state(SubscriptionStatus status) {
        return new SubscriberState(
                status.name().value(),
                status.kind().name().toLowerCase(Locale.ROOT),
                status.status().sqlValue(),
                status.checkpoint(),
                status.lag(),
                status.owner(),
                status.lastError());
    }
}
