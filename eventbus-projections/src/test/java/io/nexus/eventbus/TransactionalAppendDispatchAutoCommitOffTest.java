package io.nexus.eventbus;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/** {@link TransactionalAppendDispatchTest} again, on a pool whose connections start with autocommit off. */
@PostgresTest
@AutoCommitOff
class TransactionalAppendDispatchAutoCommitOffTest extends TransactionalAppendDispatchTest {
    TransactionalAppendDispatchAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
