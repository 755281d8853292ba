package io.nexus.eventbus;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/**
 * Every test of {@link ProjectionFailoverTest} again, on pools whose connections start with autocommit off: the test's
 * and its worker processes'.
 */
@PostgresTest
@AutoCommitOff
class ProjectionFailoverAutoCommitOffTest extends ProjectionFailoverTest {
    ProjectionFailoverAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
