package io.nexus.eventstore.jdbc;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/** {@link PostgresSnapshotStoreTest} again, on a pool whose connections start with autocommit off. */
@PostgresTest
@AutoCommitOff
class PostgresSnapshotStoreAutoCommitOffTest extends PostgresSnapshotStoreTest {
    PostgresSnapshotStoreAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
