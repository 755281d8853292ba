package io.nexus.eventstore.jdbc;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/** {@link PersonalDataTest} again, on a pool whose connections start with autocommit off. */
@PostgresTest
@AutoCommitOff
class PersonalDataAutoCommitOffTest extends PersonalDataTest {
    PersonalDataAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
