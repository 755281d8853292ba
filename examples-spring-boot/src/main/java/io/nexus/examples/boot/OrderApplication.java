package io.nexus.examples.boot;

import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.examples.OrderSaga;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The order saga as a Spring Boot application. The starter builds the store and the bus on the application's
 * DataSource, migrates the schema ({@code nexus.migrate=true} in {@code application.properties}), gives the {@link
 * OrderSaga} bean a worker and subscribes the {@code @EventHandler} beans. Run it with one command; without {@code
 * spring.datasource.url} it starts an embedded PostgreSQL 17:
 *
 * <pre>{@code
 * mvn -B -q -pl examples-spring-boot -am package -DskipTests -Prun
 * curl -s -XPOST localhost:8080/orders -H 'Content-Type: application/json' -d '{"amountCents": 4200}'
 * curl -s localhost:8080/orders/<orderId>          # {"orderId":..., "status":"confirmed", ...}
 * curl -s localhost:8080/actuator/health/nexus     # and /actuator/nexus: subscriptions, projections, lag
 * }</pre>
 */
@SpringBootApplication
public class OrderApplication {
    /** The saga; the starter gives it a SagaWorker that starts and stops with the application. */
    @Bean
    OrderSaga orderSaga() {
        return new OrderSaga(Duration.ofMinutes(15));
    }

    /** The event classes, so that handlers and the saga read typed payloads. */
    @Bean
    EventTypeRegistry eventTypes() {
        return OrderSaga.types();
    }

    public static void main(String[] args) throws IOException {
        start(args);
    }

    /**
     * Starts the application: on {@code --spring.datasource.url=...} (or {@code SPRING_DATASOURCE_URL}) if given, else
     * on an embedded PostgreSQL 17 that stops, after the application, when the JVM ends.
     *
     * @param args Spring Boot's arguments
     * @return the running application
     * @throws IOException if the embedded PostgreSQL cannot start
     */
    static ConfigurableApplicationContext start(String... args) throws IOException {
        List<String> arguments = new ArrayList<>(List.of(args));
        boolean hasDatabase = arguments.stream().anyMatch(a -> a.startsWith("--spring.datasource.url="))
                || System.getenv("SPRING_DATASOURCE_URL") != null;
        if (hasDatabase) {
            return SpringApplication.run(OrderApplication.class, args);
        }
        System.out.println("Starting an embedded PostgreSQL 17 (give --spring.datasource.url=... for your own)");
        // Its own shutdown hook would stop the server while the application still releases its leases on it.
        EmbeddedPostgres postgres =
                EmbeddedPostgres.builder().setRegisterShutdownHook(false).start();
        arguments.add("--spring.datasource.url=" + postgres.getJdbcUrl("postgres", "postgres"));
        SpringApplication application = new SpringApplication(OrderApplication.class);
        application.setRegisterShutdownHook(false); // ours closes the application first, then the database under it
        ConfigurableApplicationContext context = application.run(arguments.toArray(String[]::new));
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            context.close(); // workers release their leases while the database still answers
                            close(postgres);
                        },
                        "order-application-stop"));
        return context;
    }

    private static void close(EmbeddedPostgres postgres) {
        try {
            postgres.close();
        } catch (IOException e) {
            System.err.println("could not stop the embedded PostgreSQL: " + e);
        }
    }
}
