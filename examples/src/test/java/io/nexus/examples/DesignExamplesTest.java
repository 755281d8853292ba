package io.nexus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventbus.relay.TestBroker;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs each example of the design (part 4 of issue 13) and checks what it printed and returned. */
@PostgresTest
class DesignExamplesTest {
    private final TestDatabase database;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);

    DesignExamplesTest(TestDatabase database) {
        this.database = database;
    }

    @Test
    void typed_events_reach_their_handlers_by_wildcard_priority_and_condition() throws Exception {
        List<String> log = TypedEventsExample.run(database.dataSource(), out);

        assertThat(log)
                .containsExactly(
                        "system: system.started",
                        "plugin: audit",
                        "error: plugin.error",
                        "http: 200",
                        "query on users",
                        "system: system.error",
                        "error: system.error",
                        "large order: o-large");
    }

    @Test
    void a_registration_sends_a_welcome_and_fills_the_read_model() throws Exception {
        UserRegistrationExample.Result result = UserRegistrationExample.run(database.dataSource(), out);

        assertThat(result.welcomes())
                .containsExactly("welcome email to ada@example.com", "welcome email to grace@example.com");
        assertThat(result.users()).containsExactly("ada web", "grace web");
    }

    @Test
    void request_response_answers_each_request_through_wait_for() throws Exception {
        boolean[] answers = RequestResponseExample.run(database.dataSource(), out);

        assertThat(answers).containsExactly(true, false);
    }

    @Test
    void correlated_events_share_the_correlation_id_and_name_their_cause() throws Exception {
        List<String> trace = CorrelationExample.run(database.dataSource(), out);

        assertThat(trace)
                .containsExactly(
                        "order.created <- -",
                        "payment.processing <- order.created",
                        "inventory.reserved <- payment.processing");
    }

    @Test
    void the_same_program_runs_on_postgres_and_on_redis_by_configuration_alone() throws Exception {
        String redisUrl = TestBroker.REDIS.url();
        Map<String, String> environment =
                Map.of("REDIS_HOST", URI.create(redisUrl).getHost());

        List<String> onPostgres = BackendSwitchExample.run(
                database.dataSource(), database.jdbcUrl(), BackendSwitchExample.POSTGRES_CONFIG, environment, out);
        List<String> onRedis = BackendSwitchExample.run(
                database.dataSource(), database.jdbcUrl(), BackendSwitchExample.REDIS_CONFIG, environment, out);

        assertThat(onPostgres).containsExactly("welcome \"ada\"", "ada@example.com valid: true");
        assertThat(onRedis).isEqualTo(onPostgres);
        assertThat(buffer.toString(StandardCharsets.UTF_8))
                .contains("postgres bus (PostgresEventBus)")
                .contains("redis bus (BrokerEventBus)");
    }

    @Test
    void the_examples_take_a_jdbc_url_argument() throws Exception {
        StringBuilder seen = new StringBuilder();

        ExampleDatabase.main(
                new String[] {"--jdbc-url", database.jdbcUrl(), "rest"}, (dataSource, url, rest, ignored) -> {
                    seen.append(url).append(' ').append(rest);
                    try (var connection = dataSource.getConnection()) {
                        seen.append(connection.isValid(5) ? " valid" : " invalid");
                    }
                });

        assertThat(seen.toString()).isEqualTo(database.jdbcUrl() + " [rest] valid");
    }
}
