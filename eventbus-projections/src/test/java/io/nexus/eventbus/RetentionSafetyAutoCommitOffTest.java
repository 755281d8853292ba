package io.nexus.eventbus;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/** Every test of {@link RetentionSafetyTest} again, on a pool whose connections start with autocommit off. */
@PostgresTest
@AutoCommitOff
class RetentionSafetyAutoCommitOffTest extends RetentionSafetyTest {
    RetentionSafetyAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
