package io.nexus.spring.boot;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.TestDatabase;

/** Every health test again on a pool whose connections come with autocommit off. */
@AutoCommitOff
class NexusHealthIndicatorAutoCommitOffTest extends NexusHealthIndicatorTest {
    NexusHealthIndicatorAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
