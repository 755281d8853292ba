package io.nexus.examples;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.TestDatabase;

/** {@link OrderSagaExampleTest} on a pool whose connections start with autocommit off. */
@AutoCommitOff
class OrderSagaExampleAutoCommitOffTest extends OrderSagaExampleTest {
    OrderSagaExampleAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
