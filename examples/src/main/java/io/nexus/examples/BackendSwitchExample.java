package io.nexus.examples;

import io.nexus.eventbus.EventBus;
import io.nexus.eventbus.EventBuses;
import io.nexus.eventbus.NexusConfig;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.migrations.EventStoreSchema;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;

/**
 * One program, its bus chosen by the configuration file alone: the same registration, welcome handler and
 * request/response run on {@code backend: postgres} and on {@code backend: redis} (events through Redis, appended
 * to PostgreSQL first with {@code persist_events: true}). Nothing in the code names a backend. Run: {@code mvn -B -q
 * -pl examples -am package exec:java -DskipTests -Dexec.mainClass=io.nexus.examples.BackendSwitchExample
 * -Dexec.args='--config nexus.yaml'}; without {@code --config}, {@link #POSTGRES_CONFIG} is used.
 */
public final class BackendSwitchExample {
    private BackendSwitchExample() {}

    /** The durable PostgreSQL bus. */
    public static final String POSTGRES_CONFIG = """
            events:
              backend: postgres
              persist_events: true
              postgresql:
                jdbc_url: ${NEXUS_DB_URL}
                schema: switch_example
            """;

    /** The same bus through Redis: the design's Redis block, plus the store it persists to. */
    public static final String REDIS_CONFIG = """
            events:
              backend: redis
              persist_events: true
              postgresql:
                jdbc_url: ${NEXUS_DB_URL}
                schema: switch_example
              redis:
                host: ${REDIS_HOST:-localhost}
                port: 6379
                channel_prefix: "nexus:switch-example"
            """;

    public static void main(String[] args) throws Exception {
        ExampleDatabase.main(args, (dataSource, url, rest, out) -> {
            int flag = rest.indexOf("--config");
            String yaml =
                    flag >= 0 ? Files.readString(Path.of(rest.get(flag + 1)), StandardCharsets.UTF_8) : POSTGRES_CONFIG;
            run(dataSource, url, yaml, System.getenv(), out);
        });
    }

    /** Runs the program on the bus {@code yaml} describes; returns what it logged. */
    public static List<String> run(
            DataSource dataSource, String jdbcUrl, String yaml, Map<String, String> environment, PrintStream out)
            throws Exception {
        EventStoreSchema.migrate(dataSource, "switch_example");
        Map<String, String> variables = new java.util.HashMap<>(environment);
        variables.put("NEXUS_DB_URL", jdbcUrl);
        NexusConfig config = NexusConfig.fromYaml(yaml, variables);
        List<String> log = new CopyOnWriteArrayList<>();
        try (EventBus bus = EventBuses.create(config)) {
            bus.subscribe("user.registered", event -> log.add("welcome " + ((RawJson) event.data()).json()));
            RequestResponseExample.startValidator(bus);

            bus.emit(NewEvent.of("user.registered", RawJson.of("\"ada\"")));
            boolean valid = RequestResponseExample.validate(bus, "ada@example.com", Duration.ofSeconds(10));
            log.add("ada@example.com valid: " + valid);
            TypedEventsExample.awaitSize(log, 2);
            out.println(
                    "  " + config.backend().key() + " bus (" + bus.getClass().getSimpleName() + "):");
            log.forEach(line -> out.println("    " + line));
        }
        return List.copyOf(log);
    }
}
