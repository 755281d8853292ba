package io.nexus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.examples.BankAccountExample.Summary;
import io.nexus.testing.PostgresTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@PostgresTest
class BankAccountExampleTest {

    @Test
    void the_example_rebuilds_an_account_and_reads_the_global_order(DataSource dataSource) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        Summary summary = BankAccountExample.run(dataSource, new PrintStream(buffer, true, StandardCharsets.UTF_8));
        Summary again = BankAccountExample.run(
                dataSource, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

        assertThat(summary.rebuilt().balance()).isEqualByComparingTo(new BigDecimal("70.00"));
        assertThat(summary.rebuilt().owner()).isEqualTo("Alice");
        assertThat(summary.rebuilt().version()).isEqualTo(3);
        assertThat(summary.globalEvents()).isEqualTo(7);
        assertThat(summary.globalOrder().get(0)).endsWith("@1");
        assertThat(again.globalEvents()).isEqualTo(7);
        assertThat(buffer.toString(StandardCharsets.UTF_8))
                .contains("balance 70.00")
                .contains("The global order");
    }
}
