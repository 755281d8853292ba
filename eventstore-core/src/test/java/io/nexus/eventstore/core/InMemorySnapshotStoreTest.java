package io.nexus.eventstore.core;

import io.nexus.eventstore.core.contract.SnapshotStoreContract;

class InMemorySnapshotStoreTest extends SnapshotStoreContract {
    private final SnapshotStore snapshots = InMemorySnapshotStore.create();

    @Override
    protected SnapshotStore snapshots() {
        return snapshots;
    }
}
