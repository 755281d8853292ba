package io.nexus.eventstore.jdbc;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/** Every test of {@link GlobalOrderTest} again, on a pool whose connections start with autocommit off. */
@PostgresTest
@AutoCommitOff
class GlobalOrderAutoCommitOffTest extends GlobalOrderTest {
    GlobalOrderAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
