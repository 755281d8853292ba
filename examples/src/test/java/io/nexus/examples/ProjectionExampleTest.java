package io.nexus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.testing.PostgresTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@PostgresTest
class ProjectionExampleTest {

    @Test
    void the_projection_has_the_appended_events_once_await_projection_returns(DataSource dataSource) throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        BigDecimal balance = ProjectionExample.run(dataSource, new PrintStream(buffer, true, StandardCharsets.UTF_8));

        assertThat(balance).isEqualByComparingTo(new BigDecimal("70.00"));
        assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("Projection 'account-balances'");
    }
}
