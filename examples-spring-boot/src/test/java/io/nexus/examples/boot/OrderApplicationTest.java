package io.nexus.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The sample application on real PostgreSQL, driven over HTTP as a client would. */
@SpringBootTest(classes = OrderApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext // stops the saga worker and the handlers before the test database is dropped
class OrderApplicationTest {
    static final TestDatabase DATABASE = TestDatabase.create(true);

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", DATABASE::jdbcUrl);
    }

    @Value("${local.server.port}")
    int port;

    @Test
    void a_placed_order_is_paid_reserved_and_confirmed_by_the_saga() throws Exception {
        OrderClient client = new OrderClient(port);

        String order = client.awaitConfirmed(client.place(4_200));

        assertThat(order)
                .contains("\"status\":\"confirmed\"")
                .contains("\"events\":[\"order.created\",\"order.confirmed\"]");
        assertThat(client.get("/actuator/health/nexus")).contains("\"status\":\"UP\"");
        assertThat(client.get("/actuator/nexus")).contains("\"name\":\"saga:order:0\"");
    }
}
