package io.nexus.spring.boot;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.TestDatabase;

/** The broker bus tests again (persist_events appends on the pool) on a pool whose connections come with autocommit off. */
@AutoCommitOff
class NexusBrokerBusAutoCommitOffTest extends NexusBrokerBusTest {
    NexusBrokerBusAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
