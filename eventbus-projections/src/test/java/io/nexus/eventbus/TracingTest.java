package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@PostgresTest
@Timeout(60)
class TracingTest {
    private final TestDatabase database;

    TracingTest(TestDatabase database) {
        this.database = database;
    }

    /** Emits a cause on {@code bus}; its listener emits an effect. Returns the cause and the recorded effect. */
    private static RecordedEvent[] causeAndEffect(EventBus bus) throws InterruptedException {
        String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
        Recorder recorder = new Recorder();
        bus.subscribe(prefix + ".cause", event -> bus.emit(NewEvent.of(prefix + ".effect", "{}")));
        bus.subscribe(prefix + ".*", recorder);

        bus.emit(NewEvent.of(prefix + ".cause", "{}"));
        recorder.awaitCount(2);

        return new RecordedEvent[] {recorder.single(prefix + ".cause"), recorder.single(prefix + ".effect")};
    }

    @Test
    void by_default_the_memory_bus_traces_an_effect_to_its_cause() throws Exception {
        try (MemoryEventBus bus = MemoryEventBus.create()) {
            RecordedEvent[] events = causeAndEffect(bus);

            assertThat(events[1].correlationId()).isEqualTo(events[0].eventId());
            assertThat(events[1].causationId()).isEqualTo(events[0].eventId());
        }
    }

    @Test
    void without_tracing_the_memory_bus_leaves_an_effect_without_correlation_and_causation() throws Exception {
        try (MemoryEventBus bus = MemoryEventBus.builder().tracing(false).build()) {
            RecordedEvent[] events = causeAndEffect(bus);

            assertThat(events[1].correlationId()).isNull();
            assertThat(events[1].causationId()).isNull();
        }
    }

    @Test
    void by_default_the_postgres_bus_traces_an_effect_to_its_cause() throws Exception {
        try (PostgresEventBus bus = PostgresEventBus.builder(database.dataSource())
                .schema(database.schema())
                .build()) {
            RecordedEvent[] events = causeAndEffect(bus);

            assertThat(events[1].correlationId()).isEqualTo(events[0].eventId());
            assertThat(events[1].causationId()).isEqualTo(events[0].eventId());
        }
    }

    @Test
    void without_tracing_the_postgres_bus_leaves_an_effect_without_correlation_and_causation() throws Exception {
        try (PostgresEventBus bus = PostgresEventBus.builder(database.dataSource())
                .schema(database.schema())
                .tracing(false)
                .build()) {
            RecordedEvent[] events = causeAndEffect(bus);

            assertThat(events[1].correlationId()).isNull();
            assertThat(events[1].causationId()).isNull();
        }
    }

    @Test
    void an_effect_keeps_the_ids_it_was_given_whatever_the_setting() throws Exception {
        UUID correlation = UUID.randomUUID();
        try (MemoryEventBus bus = MemoryEventBus.builder().tracing(false).build()) {
            Recorder recorder = new Recorder();
            bus.subscribe("given.*", recorder);

            bus.emit(NewEvent.of("given.ids", "{}").withCorrelationId(correlation));
            recorder.awaitCount(1);

            assertThat(recorder.single("given.ids").correlationId()).isEqualTo(correlation);
        }
    }
}
