package io.nexus.eventstore.core;

import io.nexus.eventstore.core.contract.EventStoreContract;

class InMemoryEventStoreTest extends EventStoreContract {
    private final EventStore store = InMemoryEventStore.create();

    @Override
    protected EventStore store() {
        return store;
    }
}
