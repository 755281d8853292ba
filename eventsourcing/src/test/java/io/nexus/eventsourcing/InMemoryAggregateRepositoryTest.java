package io.nexus.eventsourcing;

import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.InMemoryEventStore;
import io.nexus.eventstore.core.InMemorySnapshotStore;
import io.nexus.eventstore.core.SnapshotStore;

class InMemoryAggregateRepositoryTest extends AggregateRepositoryContract {
    private final EventStore store = InMemoryEventStore.create();
    private final SnapshotStore snapshots = InMemorySnapshotStore.create();

    @Override
    protected EventStore store() {
        return store;
    }

    @Override
    protected SnapshotStore snapshots() {
        return snapshots;
    }
}
