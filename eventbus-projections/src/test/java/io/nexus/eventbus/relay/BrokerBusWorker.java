package io.nexus.eventbus.relay;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventbus.BrokerEventBus;
import io.nexus.eventbus.BrokerTransport;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The second JVM of the broker bus tests: builds a {@link BrokerEventBus} on the transport its broker module makes,
 * subscribes to the given patterns and prints one line per event received ({@code got <pattern> <type> <position>
 * <payload>}), answers {@code validation.request} with {@code validation.response.<id>}, prints {@code ready} once
 * subscribed, and runs until its standard input closes.
 *
 * <p>Arguments: {@code plain|persistent <jdbcUrl> <schema> <patterns,comma,separated> <transport arguments…>}.
 */
public final class BrokerBusWorker {
    private BrokerBusWorker() {}

    /**
     * Runs the worker.
     *
     * @param args the arguments above
     * @param transports makes the transport from the transport arguments
     * @throws Exception if the bus cannot be built
     */
    public static void run(String[] args, Function<List<String>, BrokerTransport> transports) throws Exception {
        boolean persistent = args[0].equals("persistent");
        List<String> patterns = List.of(args[3].split(",", -1));
        BrokerTransport transport = transports.apply(Arrays.asList(args).subList(4, args.length));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        HikariDataSource pool = null;
        PostgresEventBus store = null;
        BrokerEventBus.Builder builder = BrokerEventBus.builder(transport);
        if (persistent) {
            HikariConfig hikari = new HikariConfig();
            hikari.setJdbcUrl(args[1]);
            hikari.setMaximumPoolSize(4);
            pool = new HikariDataSource(hikari);
            store = PostgresEventBus.builder(pool).schema(args[2]).build();
            builder.persistence(store);
        }
        try (BrokerEventBus bus = builder.build()) {
            for (String pattern : patterns) {
                bus.subscribe(
                        pattern,
                        event -> out.println(
                                "got " + pattern + " " + event.type() + " " + event.position() + " " + payload(event)));
            }
            bus.subscribe(
                    "validation.request",
                    event -> bus.emit(
                            NewEvent.of("validation.response." + payload(event), RawJson.of("{\"valid\":true}"))
                                    .withCorrelationId(event.eventId())));
            out.println("ready");
            BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (stdin.readLine() != null) {
                // the test closes stdin (or kills the process) to stop the worker
            }
        } finally {
            if (store != null) {
                store.close();
            }
            if (pool != null) {
                pool.close();
            }
        }
    }

    /** The payload's JSON text, without spaces. */
    public static String payload(RecordedEvent event) {
        Object data = event.data();
        String json = data instanceof RawJson raw ? raw.json() : String.valueOf(data);
        return json.replace(" ", "");
    }
}
