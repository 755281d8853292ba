package io.nexus.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/** The one-command path: no database given, so the application starts an embedded PostgreSQL of its own. */
class OrderApplicationEmbeddedTest {
    @Test
    void with_no_database_given_it_runs_on_an_embedded_postgresql() throws Exception {
        try (ConfigurableApplicationContext context = OrderApplication.start("--server.port=0")) {
            OrderClient client =
                    new OrderClient(context.getEnvironment().getRequiredProperty("local.server.port", Integer.class));

            String order = client.awaitConfirmed(client.place(100));

            assertThat(order).contains("\"status\":\"confirmed\"");
            assertThat(context.getEnvironment().getProperty("spring.datasource.url"))
                    .startsWith("jdbc:postgresql://localhost:");
        }
    }
}
