package io.nexus.cli;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;

/**
 * Every test of {@link NexusCliTest} again with autocommit off: the application's pool (the buses, daemons and sagas
 * the tests run) and the command's own pool ({@code postgresql.auto_commit: false} in its configuration file).
 */
@PostgresTest
@AutoCommitOff
class NexusCliAutoCommitOffTest extends NexusCliTest {
    NexusCliAutoCommitOffTest(TestDatabase database) {
        super(database);
    }
}
