package io.nexus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.examples.AggregateExample.Summary;
import io.nexus.examples.BankAccountAggregate.Account;
import io.nexus.testing.PostgresTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@PostgresTest
class AggregateExampleTest {

    @Test
    void the_example_decides_refuses_and_loads_the_account_from_a_snapshot(DataSource dataSource) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        Summary summary = AggregateExample.run(dataSource, new PrintStream(buffer, true, StandardCharsets.UTF_8));

        assertThat(summary.account()).isEqualTo(new Account("Alice", 250 * 100 - 5_000));
        assertThat(summary.version()).isEqualTo(252);
        assertThat(summary.eventsReadByLoad())
                .as("the snapshot at 200 plus 52 events")
                .isLessThan(100);
        assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("Refused: cannot withdraw 1000000 cents");
    }
}
