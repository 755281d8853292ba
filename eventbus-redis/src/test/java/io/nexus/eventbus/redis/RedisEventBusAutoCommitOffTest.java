package io.nexus.eventbus.redis;

import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * {@link RedisEventBusTest} again on a pool whose connections start with autocommit off, which matters where the bus
 * writes to PostgreSQL: with persistence.
 */
@PostgresTest
@AutoCommitOff
class RedisEventBusAutoCommitOffTest extends RedisEventBusTest {
    RedisEventBusAutoCommitOffTest(TestDatabase database) {
        super(database);
    }

    @Test
    @Disabled("no PostgreSQL without persistence, so the pool's autocommit plays no part; RedisEventBusTest runs it,"
            + " and one Redis restart fewer disturbs the other tests sharing this Redis")
    @Override
    protected void a_broker_restart_in_the_middle_of_a_run_without_persistence_counts_what_is_lost() {}
}
