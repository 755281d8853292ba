package io.nexus.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    private static final Pattern ORDER_ID = Pattern.compile("\"orderId\":\"([^\"]+)\"");

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", DATABASE::jdbcUrl);
    }

    @Value("${local.server.port}")
    int port;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void a_placed_order_is_paid_reserved_and_confirmed_by_the_saga() throws Exception {
        HttpResponse<String> placed = http.send(
                HttpRequest.newBuilder(uri("/orders"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"amountCents\": 4200}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(placed.statusCode()).isEqualTo(201);
        Matcher id = ORDER_ID.matcher(placed.body());
        assertThat(id.find()).as(placed.body()).isTrue();

        String order = get("/orders/" + id.group(1)).body();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!order.contains("\"status\":\"confirmed\"") && System.nanoTime() < deadline) {
            Thread.sleep(50);
            order = get("/orders/" + id.group(1)).body();
        }

        assertThat(order)
                .contains("\"status\":\"confirmed\"")
                .contains("\"events\":[\"order.created\",\"order.confirmed\"]");
        assertThat(get("/actuator/health/nexus").body()).contains("\"status\":\"UP\"");
        assertThat(get("/actuator/nexus").body()).contains("\"name\":\"saga:order:0\"");
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }
}
