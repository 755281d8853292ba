package io.nexus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import org.junit.jupiter.api.Test;

@PostgresTest
class BusExampleTest {

    @Test
    void in_process_handlers_run_in_priority_order() throws Exception {
        assertThat(BusExample.inProcess()).containsExactly("welcome ada", "audit user.registered");
    }

    @Test
    void the_durable_subscription_receives_the_committed_events(TestDatabase database) throws Exception {
        assertThat(BusExample.durable(database.dataSource())).containsExactly("order.placed", "order.shipped");
    }

    @Test
    void a_yaml_configuration_gives_a_postgres_bus(TestDatabase database) {
        assertThat(BusExample.fromYaml(database.jdbcUrl(), database.dataSource()))
                .isEqualTo("PostgresEventBus");
    }
}
