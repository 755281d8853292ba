package io.nexus.eventsourcing;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/** {@link PostgresAggregateRepositoryTest} again, on a pool whose connections start with autocommit off. */
@PostgresTest
@AutoCommitOff
class PostgresAggregateRepositoryAutoCommitOffTest extends PostgresAggregateRepositoryTest {
    PostgresAggregateRepositoryAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
