package io.nexus.spring.boot;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.TestDatabase;

/** Every auto-configuration test again on a pool whose connections come with autocommit off. */
@AutoCommitOff
class NexusAutoConfigurationAutoCommitOffTest extends NexusAutoConfigurationTest {
    NexusAutoConfigurationAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
