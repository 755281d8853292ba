package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@PostgresTest
@Timeout(60)
class PostgresEventBusTest {
    private final TestDatabase database;
    private final List<RecordedEventFailure> failures = new CopyOnWriteArrayList<>();
    private PostgresEventBus bus;

    record RecordedEventFailure(SubscriptionId subscription, RecordedEvent event, Throwable error) {}

    PostgresEventBusTest(TestDatabase database) {
        this.database = database;
    }

    @BeforeEach
    void open_bus() {
        bus = PostgresEventBus.builder(database.dataSource())
                .schema(database.schema())
                .failureListener((id, event, error) -> failures.add(new RecordedEventFailure(id, event, error)))
                .build();
    }

    @AfterEach
    void close_bus() {
        bus.close();
    }

    /** A unique type under {@code prefix}, so tests in one database never see each other's events. */
    private static String type(String prefix) {
        return prefix + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void listeners_of_one_event_run_in_priority_order_whatever_the_subscription_order() throws Exception {
        String type = type("order");
        List<String> calls = new CopyOnWriteArrayList<>();
        Recorder done = new Recorder();
        bus.subscribe(type, event -> calls.add("low"), -5);
        bus.subscribe(type, event -> calls.add("high"), 10);
        bus.subscribe(type, event -> calls.add("default"));
        bus.subscribe(type, done, -100);

        bus.emit(NewEvent.of(type, "{}"));

        done.awaitCount(1);
        assertThat(calls).containsExactly("high", "default", "low");
    }

    @Test
    void every_wildcard_form_selects_its_types() throws Exception {
        String ns = "w" + UUID.randomUUID().toString().substring(0, 8);
        Recorder all = new Recorder();
        Recorder prefix = new Recorder();
        Recorder suffix = new Recorder();
        Recorder exact = new Recorder();
        // Lowest priority: it runs after the others, so once it has seen an event, so have they.
        bus.subscribe(
                "*",
                event -> {
                    if (event.type().startsWith(ns) || event.type().endsWith(ns + ".error")) {
                        all.handle(event);
                    }
                },
                -1);
        bus.subscribe(ns + ".*", prefix);
        bus.subscribe("*." + ns + ".error", suffix);
        bus.subscribe(ns + ".registered", exact);

        bus.emit(NewEvent.of(ns + ".registered", "{}"));
        bus.emit(NewEvent.of(ns + ".deleted", "{}"));
        bus.emit(NewEvent.of("billing." + ns + ".error", "{}"));

        all.awaitCount(3);
        prefix.awaitCount(2);
        suffix.awaitCount(1);
        exact.awaitCount(1);
        assertThat(all.types()).containsExactly(ns + ".registered", ns + ".deleted", "billing." + ns + ".error");
        assertThat(prefix.types()).containsExactly(ns + ".registered", ns + ".deleted");
        assertThat(suffix.types()).containsExactly("billing." + ns + ".error");
        assertThat(exact.types()).containsExactly(ns + ".registered");
    }

    @Test
    void a_failing_listener_does_not_stop_the_others_and_is_reported() throws Exception {
        String type = type("fail");
        Recorder after = new Recorder();
        SubscriptionId failing = bus.subscribe(
                type,
                event -> {
                    throw new IllegalStateException("boom");
                },
                5);
        bus.subscribe(type, after, 0);

        bus.emit(NewEvent.of(type, "{}"));

        after.awaitCount(1);
        assertThat(failures).singleElement().satisfies(failure -> {
            assertThat(failure.subscription()).isEqualTo(failing);
            assertThat(failure.error()).hasMessage("boom");
        });
    }

    @Test
    void unsubscribed_listeners_receive_nothing_more() throws Exception {
        String type = type("unsub");
        Recorder kept = new Recorder();
        Recorder dropped = new Recorder();
        SubscriptionId id = bus.subscribe(type, dropped);
        bus.subscribe(type, kept, -1);

        assertThat(bus.unsubscribe(id)).isTrue();
        bus.emit(NewEvent.of(type, "{}"));

        kept.awaitCount(1);
        assertThat(dropped.events()).isEmpty();
        assertThat(bus.unsubscribe(id)).isFalse();
    }

    @Test
    void wait_for_completes_with_the_next_matching_committed_event() throws Exception {
        String ns = "rpc" + UUID.randomUUID().toString().substring(0, 8);
        CompletableFuture<RecordedEvent> reply = bus.waitFor(ns + ".*", Duration.ofSeconds(10));

        bus.emit(NewEvent.of("other." + ns, "{}"));
        bus.emit(NewEvent.of(ns + ".answered", "{\"answer\":42}"));

        RecordedEvent event = reply.get(10, TimeUnit.SECONDS);
        assertThat(event.type()).isEqualTo(ns + ".answered");
        assertThat(event.position()).isPositive();
    }

    @Test
    void wait_for_fails_with_a_timeout_when_nothing_matches() {
        CompletableFuture<RecordedEvent> reply = bus.waitFor(type("never"), Duration.ofMillis(200));

        Throwable thrown = catchThrowable(() -> reply.get(10, TimeUnit.SECONDS));

        assertThat(thrown).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TimeoutException.class);
    }

    @Test
    void only_committed_events_are_dispatched_a_rolled_back_append_never_arrives() throws Exception {
        String ns = "tx" + UUID.randomUUID().toString().substring(0, 8);
        Recorder recorder = new Recorder();
        bus.subscribe(ns + ".*", recorder);

        try (Connection connection = database.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            appendRaw(connection, ns + ".rolled-back");
            connection.rollback();
        }
        bus.emit(NewEvent.of(ns + ".committed", "{}"));

        recorder.awaitCount(1);
        assertThat(recorder.types()).containsExactly(ns + ".committed");
        assertThat(bus.store().readAll(1, 10_000, io.nexus.eventstore.core.EventFilter.ALL))
                .extracting(RecordedEvent::type)
                .doesNotContain(ns + ".rolled-back");
    }

    @Test
    void dispatch_follows_commit_order_and_emit_priority_is_recorded_in_metadata() throws Exception {
        String ns = "prio" + UUID.randomUUID().toString().substring(0, 8);
        Recorder recorder = new Recorder();
        bus.subscribe(ns + ".*", recorder);

        bus.emit(NewEvent.of(ns + ".low", "{}"), -3);
        bus.emit(NewEvent.of(ns + ".high", "{}"), 7);
        bus.emit(NewEvent.of(ns + ".default", "{}"));

        recorder.awaitCount(3);
        assertThat(recorder.types()).containsExactly(ns + ".low", ns + ".high", ns + ".default");
        assertThat(recorder.single(ns + ".high").metadata()).containsEntry(PostgresEventBus.PRIORITY_METADATA_KEY, "7");
        assertThat(recorder.single(ns + ".default").metadata())
                .doesNotContainKey(PostgresEventBus.PRIORITY_METADATA_KEY);
        List<Long> positions = new ArrayList<>();
        recorder.events().forEach(e -> positions.add(e.position()));
        assertThat(positions).isSorted();
    }

    @Test
    void an_event_emitted_by_a_listener_carries_the_correlation_and_causation_of_the_one_it_handles() throws Exception {
        String ns = "corr" + UUID.randomUUID().toString().substring(0, 8);
        Recorder recorder = new Recorder();
        bus.subscribe(ns + ".placed", event -> bus.emit(NewEvent.of(ns + ".billed", "{}")));
        bus.subscribe(ns + ".*", recorder, -1);

        bus.emit(NewEvent.of(ns + ".placed", "{}"));

        recorder.awaitCount(2);
        RecordedEvent placed = recorder.single(ns + ".placed");
        RecordedEvent billed = recorder.single(ns + ".billed");
        assertThat(billed.correlationId()).isEqualTo(placed.eventId());
        assertThat(billed.causationId()).isEqualTo(placed.eventId());
    }

    static final class Handlers {
        final Recorder big = new Recorder();

        @EventHandler(value = "*", priority = 1, condition = BigOnly.class)
        void onBig(RecordedEvent event) {
            big.handle(event);
        }
    }

    static final class BigOnly implements Predicate<RecordedEvent> {
        @Override
        public boolean test(RecordedEvent event) {
            return event.type().startsWith("big.");
        }
    }

    @Test
    void annotated_handlers_with_a_condition_receive_only_what_it_accepts() throws Exception {
        Handlers handlers = new Handlers();
        Recorder done = new Recorder();
        String small = type("small");
        String big = type("big");
        bus.register(handlers);
        bus.subscribe(small, done, -1);

        bus.emit(NewEvent.of(big, "{}"));
        bus.emit(NewEvent.of(small, "{}"));

        done.awaitCount(1);
        assertThat(handlers.big.types()).contains(big).doesNotContain(small);
    }

    @Test
    void a_closed_bus_refuses_emits_and_fails_pending_waiters() {
        CompletableFuture<RecordedEvent> pending = bus.waitFor(type("late"), Duration.ofSeconds(30));

        bus.close();

        assertThatThrownBy(() -> bus.emit(NewEvent.of("x.y", "{}"))).isInstanceOf(IllegalStateException.class);
        assertThat(pending).isCompletedExceptionally();
    }

    @Test
    void positions_a_database_crash_gave_out_again_are_dispatched_again_not_skipped() throws Exception {
        String type = type("crash");
        Recorder recorder = new Recorder();
        bus.subscribe(type, recorder);
        bus.emit(NewEvent.of(type, "{}"));
        bus.emit(NewEvent.of(type, "{}"));
        recorder.awaitCount(2);
        List<UUID> dispatched =
                recorder.events().stream().map(RecordedEvent::eventId).toList();
        long first = recorder.events().get(0).position();
        UUID late = UUID.randomUUID();
        String s = database.schema();

        // What a crash that lost the last (unflushed) sequencing run leaves: both appends unordered again, the head
        // back, and an append that committed just after that run with a smaller commit id, which the lost run had
        // skipped as still running (an open commit id).
        database.execute("WITH lost AS (DELETE FROM " + s + ".commits WHERE last_position >= " + first
                + "   RETURNING coalesce(first_commit_id, commit_id) AS commit_id)"
                + " UPDATE " + s + ".sequencer SET last_position = " + (first - 1) + ","
                + "   last_commit_id = (SELECT min(commit_id) - 1 FROM lost),"
                + "   open_commit_ids = '{-1}', open_since_xids = '{" + Long.MAX_VALUE + "}';"
                + " INSERT INTO " + s + ".streams (stream_id, version) VALUES ('crash-" + late + "', 1);"
                + " INSERT INTO " + s
                + ".events (commit_id, commit_index, stream_id, stream_version, event_id, type, data)"
                + "   VALUES (-1, 0, 'crash-" + late + "', 1, '" + late + "', '" + type + "', '{}')");
        database.terminateConnections();

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        List<UUID> tail = List.of();
        while (!tail.equals(List.of(late, dispatched.get(0), dispatched.get(1))) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            List<UUID> all =
                    recorder.events().stream().map(RecordedEvent::eventId).toList();
            tail = all.size() < 3 ? List.of() : all.subList(all.size() - 3, all.size());
        }
        assertThat(tail).containsExactly(late, dispatched.get(0), dispatched.get(1));
    }

    /** Appends one event by calling append_to_stream on a connection the test controls. */
    private void appendRaw(Connection connection, String type) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement("SELECT next_expected_version FROM "
                + database.schema() + ".append_to_stream(?, -1, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?)")) {
            statement.setString(1, type);
            statement.setArray(2, connection.createArrayOf("uuid", new Object[] {UUID.randomUUID()}));
            statement.setArray(3, connection.createArrayOf("text", new Object[] {type}));
            statement.setString(4, "[{}]");
            statement.setString(5, "[null]");
            statement.setArray(6, connection.createArrayOf("uuid", new Object[1]));
            statement.setArray(7, connection.createArrayOf("uuid", new Object[1]));
            statement.setArray(8, connection.createArrayOf("text", new Object[1]));
            statement.executeQuery().close();
        }
    }
}
