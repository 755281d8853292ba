package io.nexus.eventbus;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/** Every test of {@link TracingTest} again, on a pool whose connections start with autocommit off. */
@PostgresTest
@AutoCommitOff
class TracingAutoCommitOffTest extends TracingTest {
    TracingAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
