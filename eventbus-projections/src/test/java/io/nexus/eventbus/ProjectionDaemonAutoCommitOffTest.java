package io.nexus.eventbus;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/** Every test of {@link ProjectionDaemonTest} again, on a pool whose connections start with autocommit off. */
@PostgresTest
@AutoCommitOff
class ProjectionDaemonAutoCommitOffTest extends ProjectionDaemonTest {
    ProjectionDaemonAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
