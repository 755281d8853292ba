package io.nexus.eventstore.jdbc;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/** {@link SchemaEvolutionTest} again, on a pool whose connections start with autocommit off. */
@PostgresTest
@AutoCommitOff
class SchemaEvolutionAutoCommitOffTest extends SchemaEvolutionTest {
    SchemaEvolutionAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
