package io.nexus.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Talks to a running {@link OrderApplication} over HTTP, as a client would. */
final class OrderClient {
    private static final Pattern ORDER_ID = Pattern.compile("\"orderId\":\"([^\"]+)\"");

    private final HttpClient http = HttpClient.newHttpClient();
    private final int port;

    OrderClient(int port) {
        this.port = port;
    }

    /** Places an order and returns its id. */
    String place(long amountCents) throws Exception {
        HttpResponse<String> placed = http.send(
                HttpRequest.newBuilder(uri("/orders"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"amountCents\": " + amountCents + "}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
        Matcher id = ORDER_ID.matcher(placed.body());
        assertThat(id.find()).as(placed.body()).isTrue();
        return id.group(1);
    }

    /** The order's view once it is confirmed, or as it is after 30 seconds. */
    String awaitConfirmed(String orderId) throws Exception {
        String order = get("/orders/" + orderId);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!order.contains("\"status\":\"confirmed\"") && System.nanoTime() < deadline) {
            Thread.sleep(50);
            order = get("/orders/" + orderId);
        }
        return order;
    }

    String get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }
}
