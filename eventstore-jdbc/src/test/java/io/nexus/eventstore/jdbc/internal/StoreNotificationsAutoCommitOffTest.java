package io.nexus.eventstore.jdbc.internal;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/** Every test of {@link StoreNotificationsTest} again, on a pool whose connections start with autocommit off. */
@PostgresTest
@AutoCommitOff
class StoreNotificationsAutoCommitOffTest extends StoreNotificationsTest {
    StoreNotificationsAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
