package io.nexus.eventstore.jdbc;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/** {@link TransactionalAppendTest} again, on a pool whose connections start with autocommit off. */
@PostgresTest
@AutoCommitOff
class TransactionalAppendAutoCommitOffTest extends TransactionalAppendTest {
    TransactionalAppendAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
