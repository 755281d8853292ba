package io.nexus.eventbus;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/** {@link RetentionUnderLoadTest} again, on pools whose connections start with autocommit off. */
@PostgresTest
@AutoCommitOff
class RetentionUnderLoadAutoCommitOffTest extends RetentionUnderLoadTest {
    RetentionUnderLoadAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
