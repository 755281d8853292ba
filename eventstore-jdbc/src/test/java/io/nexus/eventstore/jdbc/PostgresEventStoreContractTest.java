package io.nexus.eventstore.jdbc;

import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.contract.EventStoreContract;
import io.nexus.eventstore.core.contract.TestEvents;
import io.nexus.testing.PostgresTest;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;

@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresEventStoreContractTest extends EventStoreContract {
    private final PostgresEventStore store;

    PostgresEventStoreContractTest(DataSource dataSource) {
        store = PostgresEventStore.builder(dataSource)
                .types(TestEvents.registry())
                .build();
    }

    @Override
    protected EventStore store() {
        return store;
    }

    @AfterAll
    void close() {
        store.close();
    }
}
