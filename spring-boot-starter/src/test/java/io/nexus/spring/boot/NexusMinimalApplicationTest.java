package io.nexus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.nexus.eventbus.EventBus;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventbus.Projection;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.TestDatabase;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The "done when": an application that adds the starter and sets two properties ({@code spring.datasource.url}
 * and {@code nexus.migrate=true}), on a database that has never seen Nexus, gets a store, a bus, its handler,
 * projection and saga beans running, health and metrics, with no Nexus code of its own.
 */
class NexusMinimalApplicationTest {
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        TestApp.Greeter greeter() {
            return new TestApp.Greeter();
        }

        @Bean
        SeenStreams seenStreams() {
            return new SeenStreams();
        }

        @Bean
        TestApp.PingSaga pingSaga() {
            return new TestApp.PingSaga();
        }
    }

    /** A projection whose read model is a list, so the application needs no table of its own. */
    static final class SeenStreams implements Projection {
        final List<String> streams = new CopyOnWriteArrayList<>();

        @Override
        public String name() {
            return "seen-streams";
        }

        @Override
        public EventFilter filter() {
            return EventFilter.types("user.registered");
        }

        @Override
        public void apply(Handle handle, RecordedEvent event) {
            streams.add(event.streamId().value());
        }

        @Override
        public void reset(Handle handle) {
            streams.clear();
        }
    }

    @Test
    void the_starter_and_two_properties_give_store_bus_handlers_projections_sagas_health_and_metrics()
            throws Exception {
        TestDatabase database = TestDatabase.create(true);
        database.execute("DROP SCHEMA nexus CASCADE"); // this test's own database, now as one that never saw Nexus
        String id = UUID.randomUUID().toString();

        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(App.class)
                .web(WebApplicationType.NONE)
                .run("--spring.datasource.url=" + database.jdbcUrl(), "--nexus.migrate=true")) {
            PostgresEventStore store = app.getBean(PostgresEventStore.class);
            EventBus bus = app.getBean(EventBus.class);
            bus.emit(NewEvent.of("user.registered", "{\"name\":\"ada\"}"));
            store.append(
                    StreamId.of("user", id), ExpectedVersion.noStream(), List.of(NewEvent.of("user.registered", "{}")));
            store.append(StreamId.of("ping", id), ExpectedVersion.noStream(), List.of(NewEvent.of("ping", "{}")));

            SeenStreams seen = app.getBean(SeenStreams.class);
            Eventually.until("the projection bean applied the event", () -> seen.streams.contains("user-" + id));
            Eventually.until(
                    "the saga bean answered the ping",
                    () -> store.streamVersion(StreamId.of("pong", "ping-" + id)) == 1);
            TestApp.Greeter greeter = app.getBean(TestApp.Greeter.class);
            Eventually.until("the @EventHandler bean received both events", () -> greeter.greeted.size() == 2);
            assertThat(store.schema()).isEqualTo("nexus");
            assertThat(bus).isInstanceOf(PostgresEventBus.class);
            assertThat(app.getBean(NexusHealthIndicator.class).health().getStatus())
                    .isEqualTo(Status.UP);
            assertThat(app.getBean(NexusEndpoint.class).report().projections())
                    .anySatisfy(projection -> assertThat(projection.name()).isEqualTo("seen-streams"));
            assertThat(app.getBean(MeterRegistry.class)
                            .find("nexus.bus.events.emitted")
                            .counter())
                    .isNotNull();
        }
    }
}
