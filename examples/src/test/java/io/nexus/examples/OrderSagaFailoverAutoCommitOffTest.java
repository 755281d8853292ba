package io.nexus.examples;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.TestDatabase;

/** {@link OrderSagaFailoverTest} with the workers' and the test's pools starting connections in autocommit off. */
@AutoCommitOff
class OrderSagaFailoverAutoCommitOffTest extends OrderSagaFailoverTest {
    OrderSagaFailoverAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
