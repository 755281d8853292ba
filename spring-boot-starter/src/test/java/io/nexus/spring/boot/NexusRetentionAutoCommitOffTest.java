package io.nexus.spring.boot;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.TestDatabase;

/** Every retention test again on a pool whose connections come with autocommit off. */
@AutoCommitOff
class NexusRetentionAutoCommitOffTest extends NexusRetentionTest {
    NexusRetentionAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
