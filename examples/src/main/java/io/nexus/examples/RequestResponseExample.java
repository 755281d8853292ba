package io.nexus.examples;

import io.nexus.eventbus.EventBus;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.migrations.EventStoreSchema;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;

/**
 * The design's request/response over events: {@code ValidationService} emits {@code user.validation.request} and
 * waits (with a timeout) for {@code user.validation.response.<request id>}, which a validator handler emits. Run:
 * {@code mvn -B -q -pl examples -am package exec:java -DskipTests
 * -Dexec.mainClass=io.nexus.examples.RequestResponseExample}.
 */
public final class RequestResponseExample {
    private RequestResponseExample() {}

    public static void main(String[] args) throws Exception {
        ExampleDatabase.main(args, (dataSource, url, rest, out) -> run(dataSource, out));
    }

    /** The validator: answers each request on the request's own response type. */
    static void startValidator(EventBus bus) {
        bus.subscribe("user.validation.request", request -> {
            String json = ((RawJson) request.data()).json();
            // The store keeps JSON as jsonb, which writes a space after each colon.
            String requestId = json.replaceAll(".*\"request_id\":\\s*\"([a-z0-9]+)\".*", "$1");
            String email = json.replaceAll(".*\"email\":\\s*\"([^\"]*)\".*", "$1");
            boolean valid = email.contains("@");
            bus.emit(NewEvent.of("user.validation.response." + requestId, RawJson.of("{\"is_valid\":" + valid + "}")));
        });
    }

    /** The design's {@code validate_user_data}: true or false as the validator answered, false on a timeout. */
    static boolean validate(EventBus bus, String email, Duration timeout) throws Exception {
        String requestId = Long.toString(System.nanoTime(), 36);
        CompletableFuture<RecordedEvent> response = bus.waitFor("user.validation.response." + requestId, timeout);
        bus.emit(NewEvent.of(
                "user.validation.request",
                RawJson.of("{\"request_id\":\"" + requestId + "\",\"email\":\"" + email + "\"}")));
        try {
            return ((RawJson) response.get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS)
                            .data())
                    .json()
                    .matches(".*\"is_valid\":\\s*true.*");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof TimeoutException) {
                return false; // the design: "User validation timeout" -> not valid
            }
            throw e;
        }
    }

    /** Validates a good and a bad address; returns the two answers. */
    public static boolean[] run(DataSource dataSource, PrintStream out) throws Exception {
        EventStoreSchema.migrate(dataSource, "request_response");
        try (PostgresEventBus bus =
                PostgresEventBus.builder(dataSource).schema("request_response").build()) {
            startValidator(bus);
            boolean good = validate(bus, "ada@example.com", Duration.ofSeconds(10));
            boolean bad = validate(bus, "not-an-address", Duration.ofSeconds(10));
            out.println("  ada@example.com valid: " + good);
            out.println("  not-an-address valid: " + bad);
            return new boolean[] {good, bad};
        }
    }
}
