package io.nexus.eventstore.jdbc;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import javax.sql.DataSource;

/** The whole {@code EventStoreContract} again, on a pool whose connections start with autocommit off. */
@PostgresTest
@AutoCommitOff
class PostgresEventStoreContractAutoCommitOffTest extends PostgresEventStoreContractTest {
    PostgresEventStoreContractAutoCommitOffTest(DataSource dataSource) {
        super(dataSource);
    }
}
