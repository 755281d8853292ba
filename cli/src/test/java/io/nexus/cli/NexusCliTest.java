package io.nexus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventbus.BusConfig;
import io.nexus.eventbus.DeadLetter;
import io.nexus.eventbus.DurableSubscription;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventbus.Projection;
import io.nexus.eventbus.ProjectionDaemon;
import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.sagas.ReminderSaga;
import io.nexus.sagas.ReminderSaga.TaskClosed;
import io.nexus.sagas.ReminderSaga.TaskOpened;
import io.nexus.sagas.SagaEvents;
import io.nexus.sagas.SagaWorker;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@PostgresTest
@Timeout(120)
class NexusCliTest {
    private static final BusConfig FAST = BusConfig.builder()
            .flushInterval(Duration.ofMillis(20))
            .retryAttempts(0)
            .build();

    private final TestDatabase database;
    private final PostgresEventStore store;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @TempDir
    Path dir;

    NexusCliTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
    }

    @AfterEach
    void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        store.close();
    }

    record Result(int code, String out, String err) {}

    /**
     * Runs the command on the test's database; for an {@link io.nexus.testing.AutoCommitOff} class, through a
     * configuration file whose {@code auto_commit: false} gives the command's own pool autocommit off as well.
     */
    private Result nexus(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.contains("--config") && !all.contains("--jdbc-url")) {
            if (database.autoCommit()) {
                all.addAll(List.of("--jdbc-url", database.jdbcUrl()));
            } else {
                all.addAll(List.of("--config", autoCommitOffConfig().toString()));
            }
            if (!all.contains("--schema")) {
                all.addAll(List.of("--schema", database.schema()));
            }
        }
        int code = Nexus.run(new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
        return new Result(code, out.toString(), err.toString());
    }

    private Path autoCommitOffConfig() {
        Path config = dir.resolve("autocommit-off.yaml");
        try {
            Files.writeString(config, """
                    events:
                      postgresql:
                        jdbc_url: %s
                        auto_commit: false
                    """.formatted(database.jdbcUrl()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return config;
    }

    private StreamId appendEvents(String stream, int count, String type) {
        StreamId id = StreamId.of(stream);
        store.append(
                id,
                ExpectedVersion.any(),
                IntStream.rangeClosed(1, count)
                        .mapToObj(i -> NewEvent.of(type, "{\"n\":" + i + "}"))
                        .toList());
        return id;
    }

    @Test
    void migrate_info_and_validate_run_on_a_schema_and_validate_fails_on_an_empty_one() {
        Result migrated = nexus("migrate", "--schema", "cli_fresh");
        Result info = nexus("info", "--schema", "cli_fresh");
        Result valid = nexus("validate", "--schema", "cli_fresh");
        Result empty = nexus("validate", "--schema", "cli_never_migrated");

        assertThat(migrated.code()).as(migrated.err()).isZero();
        assertThat(migrated.out()).matches("schema 'cli_fresh': applied [1-9][0-9]* migration\\(s\\)\\s*");
        assertThat(info.out()).contains("version").contains("Success");
        assertThat(valid.out()).contains("schema 'cli_fresh': valid and up to date");
        assertThat(empty.code()).isEqualTo(Nexus.FAILURE);
        assertThat(empty.err().strip()).startsWith("nexus validate: ").doesNotContain("\n");
    }

    @Test
    void append_takes_events_from_a_file_and_refuses_a_wrong_expected_version_with_one_line() throws Exception {
        Path file = dir.resolve("events.json");
        Files.writeString(file, """
                [{"type": "order.placed", "data": {"total": 42}, "metadata": {"by": "cli"}},
                 {"type": "order.shipped", "data": {"carrier": "ups"}}]
                """);

        Result appended = nexus("append", "--stream", "order-1", "--expected", "no-stream", file.toString());
        Result again = nexus("append", "--stream", "order-1", "--expected", "no-stream", file.toString());
        Result badJson = nexus("append", "--stream", "order-2", writeFile("bad.json", "[{\"type\": \"x\"}]"));

        assertThat(appended.code()).as(appended.err()).isZero();
        assertThat(appended.out()).contains("appended 2 event(s) to 'order-1': versions 1..2");
        assertThat(store.readStream(StreamId.of("order-1"), 1, 10))
                .extracting(e -> e.type())
                .containsExactly("order.placed", "order.shipped");
        assertThat(again.code()).isEqualTo(Nexus.FAILURE);
        assertThat(again.err()).contains("order-1").doesNotContain("\tat ");
        assertThat(store.streamVersion(StreamId.of("order-1"))).isEqualTo(2);
        assertThat(badJson.code()).isEqualTo(Nexus.FAILURE);
        assertThat(badJson.err()).contains("event 0: \"data\" (the payload, any JSON) is missing");
        assertThat(store.streamExists(StreamId.of("order-2"))).isFalse();
    }

    private String writeFile(String name, String content) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file.toString();
    }

    @Test
    void read_shows_a_stream_forward_backward_and_from_a_version() {
        appendEvents("account-7", 5, "account.deposited");

        Result forward = nexus("read", "account-7");
        Result backward = nexus("read", "account-7", "--backward", "--max", "2");
        Result fromThree = nexus("read", "account-7", "--from", "3", "--json");
        Result missing = nexus("read", "account-8");

        assertThat(forward.out().lines()).hasSize(5).first().asString().startsWith("account-7@1 ");
        assertThat(backward.out().lines()).hasSize(2).first().asString().startsWith("account-7@5 ");
        assertThat(fromThree.out().lines()).hasSize(3).first().asString().contains("\"version\":3");
        assertThat(missing.code()).isEqualTo(Nexus.FAILURE);
        assertThat(missing.err()).contains("stream 'account-8' does not exist");
    }

    @Test
    void tail_filters_by_type_pattern_and_follows_new_events() throws Exception {
        appendEvents("user-1", 3, "user.registered");
        appendEvents("job-1", 2, "job.error");

        Result errors = nexus("tail", "--type", "*.error");
        CompletableFuture<Result> following =
                CompletableFuture.supplyAsync(() -> nexus("tail", "--follow", "--type", "user.*", "--max", "5"));
        Thread.sleep(500);
        appendEvents("user-2", 2, "user.registered");
        Result followed = following.get();

        assertThat(errors.out().lines()).hasSize(2).allMatch(line -> line.contains("job.error"));
        assertThat(followed.code()).isZero();
        assertThat(followed.out().lines()).hasSize(5).last().asString().startsWith("user-2@2 ");
    }

    @Test
    void replay_writes_the_stream_to_a_json_file_with_plain_progress_lines_off_a_terminal() throws Exception {
        appendEvents("big-1", 2_000, "big.thing");
        Path output = dir.resolve("big.json");

        Result replay = nexus("replay", "big-1", "--output", output.toString());

        assertThat(replay.code()).as(replay.err()).isZero();
        assertThat(replay.out()).contains("replayed 2000 event(s) of 'big-1'");
        JsonNode events = Json.MAPPER.readTree(Files.readString(output, StandardCharsets.UTF_8));
        assertThat(events.size()).isEqualTo(2_000);
        assertThat(events.get(1999).get("version").asLong()).isEqualTo(2_000);
        assertThat(replay.err()).contains("replay big-1 100% 2,000/2,000").doesNotContain("\r");
    }

    @Test
    void subscriptions_list_status_pause_resume_and_reset() throws Exception {
        PostgresEventBus bus = PostgresEventBus.builder(store, database.dataSource())
                .config(FAST)
                .build();
        closing.add(bus);
        AtomicInteger seen = new AtomicInteger();
        DurableSubscription subscription = bus.subscribeDurable("mailer", "mail.*", event -> seen.incrementAndGet());
        closing.add(subscription);
        appendEvents("mail-1", 3, "mail.sent");
        awaitCondition(() -> seen.get() >= 3);
        awaitCondition(() -> nexus("subscriptions", "status", "mailer").out().contains(" 0  "));

        Result list = nexus("subscriptions", "list");
        Result paused = nexus("subscriptions", "pause", "mailer");
        Result statusPaused = nexus("subscriptions", "status", "mailer");
        Result resumed = nexus("subscriptions", "resume", "mailer");
        Result reset = nexus("subscriptions", "reset", "mailer");
        Result unknown = nexus("subscriptions", "pause", "nobody");
        Result noName = nexus("subscriptions", "pause");

        assertThat(list.out()).contains("mailer").contains(bus.owner());
        assertThat(paused.out()).contains("subscription 'mailer' paused");
        assertThat(statusPaused.out()).contains("paused");
        assertThat(resumed.out()).contains("resumed");
        assertThat(reset.out()).contains("reset to position 0");
        awaitCondition(() -> seen.get() >= 6); // the owner replayed the three events after the reset
        assertThat(unknown.code()).isEqualTo(Nexus.FAILURE);
        assertThat(unknown.err()).contains("no subscription named 'nobody'");
        assertThat(noName.code()).isEqualTo(Nexus.USAGE);
    }

    @Test
    void pause_stops_a_worker_running_in_another_bus_before_its_next_batch_and_resume_delivers_what_came_meanwhile()
            throws Exception {
        PostgresEventBus bus = PostgresEventBus.builder(store, database.dataSource())
                .config(FAST)
                .build();
        closing.add(bus);
        Set<UUID> seen = ConcurrentHashMap.newKeySet();
        closing.add(bus.subscribeDurable("shipper", "ship.*", event -> seen.add(event.eventId())));
        appendEvents("ship-1", 3, "ship.sent");
        awaitCondition(() -> seen.size() == 3);

        Result paused = nexus("subscriptions", "pause", "shipper");
        Thread.sleep(1_000); // the owner looks at its row every flush interval (20 ms here)
        appendEvents("ship-2", 4, "ship.sent");
        Thread.sleep(1_000);
        int whilePaused = seen.size();
        Result status = nexus("subscriptions", "status", "shipper");
        Result resumed = nexus("subscriptions", "resume", "shipper");
        awaitCondition(() -> seen.size() == 7);

        assertThat(paused.code()).isZero();
        assertThat(whilePaused).isEqualTo(3);
        assertThat(status.out()).containsPattern("shipper\\s+paused\\s+\\d+\\s+\\d+\\s+4 ");
        assertThat(resumed.code()).isZero();
    }

    /**
     * Runs a projection {@code name} in a daemon on the application's pool that counts {@code type} events in a table
     * of its own; returns how many it has applied.
     */
    private LongSupplier countingProjection(String name, String type) {
        String table = "cli_" + name;
        database.execute("CREATE TABLE " + table + " (n bigint NOT NULL); INSERT INTO " + table + " VALUES (0)");
        Projection counter = Projection.of(
                name,
                EventFilter.types(type),
                (handle, event) -> handle.execute("UPDATE " + table + " SET n = n + 1"),
                handle -> {});
        ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                .register(counter)
                .config(FAST)
                .build()
                .start();
        closing.add(daemon);
        return () -> {
            try (var connection = database.dataSource().getConnection();
                    var rows = connection.createStatement().executeQuery("SELECT n FROM " + table)) {
                rows.next();
                return rows.getLong(1);
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    @Test
    void projections_pause_holds_the_read_model_resume_catches_up_and_reset_replays() throws Exception {
        LongSupplier applied = countingProjection("gauge", "gauge.tick");
        appendEvents("gauge-1", 5, "gauge.tick");
        awaitCondition(() -> applied.getAsLong() == 5);

        Result paused = nexus("projections", "pause", "gauge");
        appendEvents("gauge-2", 5, "gauge.tick");
        Thread.sleep(1_000);
        long whilePaused = applied.getAsLong();
        Result resumed = nexus("projections", "resume", "gauge");
        awaitCondition(() -> applied.getAsLong() == 10);
        Result reset = nexus("projections", "reset", "gauge");
        awaitCondition(() -> applied.getAsLong() == 20);
        Result unknown = nexus("projections", "pause", "nobody");

        assertThat(paused.code()).as(paused.err()).isZero();
        assertThat(whilePaused).isEqualTo(5); // the owner's next checkpoint is refused with its read-model change
        assertThat(resumed.code()).isZero();
        assertThat(reset.out()).contains("projection 'gauge' reset to position 0");
        assertThat(unknown.code()).isEqualTo(Nexus.FAILURE);
    }

    @Test
    void projections_rebuild_waits_for_the_owner_with_progress() throws Exception {
        LongSupplier applied = countingProjection("counter", "count.tick");
        appendEvents("count-1", 500, "count.tick");
        awaitCondition(() -> applied.getAsLong() >= 500);
        assertThat(applied.getAsLong()).isEqualTo(500);
        long head = store.headPosition();

        Result rebuild = nexus("projections", "rebuild", "counter", "--wait", "--timeout", "PT60S");
        Result list = nexus("projections", "list");

        assertThat(rebuild.code()).as(rebuild.err()).isZero();
        assertThat(rebuild.out()).contains("'counter' caught up with position " + head);
        assertThat(rebuild.err())
                .contains("replay counter")
                .contains("100% " + String.format(java.util.Locale.ROOT, "%,d/%,d", head, head));
        assertThat(applied.getAsLong()).isEqualTo(1_000); // the read model is not cleared from the command line
        // checkpoint at the head, lag 0 (the row turns active at the owner's next caught-up commit)
        assertThat(list.out()).containsPattern("counter\\s+\\S+\\s+" + head + "\\s+" + head + "\\s+0 ");
    }

    /**
     * A durable subscription on its own bus and pool (the application), failing on {@code <subscription>.*} events
     * until healed, counting each event's deliveries; the command line runs on its own pool in this thread.
     */
    private final class Payments implements AutoCloseable {
        final AtomicBoolean healed = new AtomicBoolean();
        final Map<UUID, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        final PostgresEventBus bus;
        volatile CountDownLatch entered = new CountDownLatch(0);
        volatile CountDownLatch proceed = new CountDownLatch(0);

        Payments(String subscription) {
            this(subscription, store, database.dataSource());
        }

        Payments(String subscription, PostgresEventStore on, javax.sql.DataSource pool) {
            bus = PostgresEventBus.builder(on, pool).config(FAST).build();
            bus.subscribeDurable(subscription, subscription + ".*", event -> {
                deliveries
                        .computeIfAbsent(event.eventId(), id -> new AtomicInteger())
                        .incrementAndGet();
                entered.countDown();
                proceed.await();
                if (!healed.get()) {
                    throw new IllegalStateException("card declined\nsecond line");
                }
            });
        }

        int deliveries(DeadLetter letter) {
            AtomicInteger count = deliveries.get(letter.eventId());
            return count == null ? 0 : count.get();
        }

        @Override
        public void close() {
            bus.close();
        }
    }

    private List<DeadLetter> awaitDeadLetters(PostgresEventBus bus, String subscription, int count)
            throws InterruptedException {
        awaitCondition(() -> bus.deadLetters(subscription, 100).size() >= count);
        return bus.deadLetters(subscription, 100);
    }

    @Test
    void dead_letters_are_listed_and_discarded_with_one_line_errors() throws Exception {
        Payments payments = new Payments("failing");
        closing.add(payments);
        appendEvents("pay-1", 1, "failing.requested");
        long id = awaitDeadLetters(payments.bus, "failing", 1).get(0).id();

        Result list = nexus("dead-letters", "list", "--subscription", "failing");
        Result discard = nexus("dead-letters", "discard", Long.toString(id));
        Result again = nexus("dead-letters", "discard", Long.toString(id));
        Result retryGone = nexus("dead-letters", "retry", Long.toString(id));
        Result noId = nexus("dead-letters", "retry");

        assertThat(list.out()).contains("pay-1").contains("failing.requested").contains("card declined");
        assertThat(list.out()).doesNotContain("second line");
        assertThat(discard.out()).contains("dead letter " + id + " discarded");
        assertThat(payments.bus.deadLetters("failing", 10)).isEmpty();
        assertThat(again.code()).isEqualTo(Nexus.FAILURE);
        assertThat(retryGone.code()).isEqualTo(Nexus.FAILURE);
        assertThat(retryGone.err()).contains("no dead letter " + id);
        assertThat(noId.code()).isEqualTo(Nexus.USAGE);
    }

    @Test
    void dead_letters_retry_is_run_once_by_the_bus_that_owns_the_subscription_and_removes_the_handled_letter()
            throws Exception {
        Payments payments = new Payments("payments");
        closing.add(payments);
        appendEvents("pay-2", 1, "payments.requested");
        DeadLetter letter = awaitDeadLetters(payments.bus, "payments", 1).get(0);
        int before = payments.deliveries(letter);
        payments.healed.set(true);

        Result retry = nexus("dead-letters", "retry", Long.toString(letter.id()), "--wait", "--timeout", "PT30S");

        assertThat(retry.code()).as(retry.err()).isZero();
        assertThat(retry.out())
                .contains("dead letter " + letter.id() + " of 'payments' to re-deliver; its owner "
                        + payments.bus.owner())
                .contains("re-delivered and handled");
        assertThat(payments.deliveries(letter)).isEqualTo(before + 1);
        assertThat(payments.bus.deadLetters("payments", 10)).isEmpty();
        Thread.sleep(FAST.flushInterval().toMillis() * 10); // later polls find nothing more to run
        assertThat(payments.deliveries(letter)).isEqualTo(before + 1);
    }

    @Test
    void dead_letters_retry_that_fails_again_exits_1_and_keeps_the_letter_with_one_more_attempt() throws Exception {
        Payments payments = new Payments("still-failing");
        closing.add(payments);
        appendEvents("pay-3", 1, "still-failing.requested");
        DeadLetter letter = awaitDeadLetters(payments.bus, "still-failing", 1).get(0);
        int before = payments.deliveries(letter);

        Result retry = nexus("dead-letters", "retry", Long.toString(letter.id()), "--wait", "--timeout", "PT30S");
        Result list = nexus("dead-letters", "list", "--subscription", "still-failing");

        assertThat(retry.code()).isEqualTo(Nexus.FAILURE);
        assertThat(retry.err().strip())
                .contains("dead letter " + letter.id() + " failed again after 2 attempt(s) in all")
                .doesNotContain("\n");
        assertThat(payments.deliveries(letter)).isEqualTo(before + 1);
        assertThat(payments.bus.deadLetters("still-failing", 10))
                .singleElement()
                .satisfies(after -> {
                    assertThat(after.attempts()).isEqualTo(letter.attempts() + 1);
                    assertThat(after.retryRequestedAt()).isNull();
                });
        assertThat(list.out()).containsPattern(letter.id() + " .* 2 -\\s+ ");
    }

    @Test
    void dead_letters_retry_all_re_delivers_every_letter_of_the_subscription_exactly_once() throws Exception {
        Payments payments = new Payments("batch");
        closing.add(payments);
        appendEvents("pay-4", 3, "batch.requested");
        List<DeadLetter> letters = awaitDeadLetters(payments.bus, "batch", 3);
        payments.healed.set(true);

        Result retry = nexus("dead-letters", "retry", "--all", "--subscription", "batch");
        awaitCondition(() -> payments.bus.deadLetters("batch", 10).isEmpty());
        Result unknown = nexus("dead-letters", "retry", "--all", "--subscription", "nobody");
        Result withoutName = nexus("dead-letters", "retry", "--all");

        assertThat(retry.code()).as(retry.err()).isZero();
        assertThat(retry.out()).contains("3 dead letter(s) of 'batch' to re-deliver");
        assertThat(letters)
                .allSatisfy(letter -> assertThat(payments.deliveries(letter)).isEqualTo(2));
        assertThat(unknown.code()).isEqualTo(Nexus.FAILURE);
        assertThat(unknown.err()).contains("no durable subscription named 'nobody'");
        assertThat(withoutName.code()).isEqualTo(Nexus.USAGE);
    }

    @Test
    void a_retry_for_a_subscription_nobody_runs_stays_pending_until_a_process_runs_it() throws Exception {
        Payments first = new Payments("orphan");
        appendEvents("pay-5", 1, "orphan.requested");
        DeadLetter letter = awaitDeadLetters(first.bus, "orphan", 1).get(0);
        first.close();

        Result retry = nexus("dead-letters", "retry", Long.toString(letter.id()));
        Result waited = nexus("dead-letters", "retry", Long.toString(letter.id()), "--wait", "--timeout", "PT0.3S");
        Result list = nexus("dead-letters", "list", "--subscription", "orphan");
        Payments second = new Payments("orphan");
        closing.add(second);
        second.healed.set(true);
        awaitCondition(() -> second.bus.deadLetters("orphan", 10).isEmpty());

        assertThat(retry.code()).as(retry.err()).isZero();
        assertThat(retry.out()).contains("no process consumes it now: the request stays pending");
        assertThat(waited.code()).isEqualTo(Nexus.FAILURE);
        assertThat(waited.err()).contains("was not re-delivered within PT0.3S; the request stays pending");
        assertThat(list.out()).containsPattern(letter.id() + " .* pending ");
        assertThat(second.deliveries(letter)).isEqualTo(1);
    }

    @Test
    void a_retry_of_a_paused_subscription_runs_after_resume_and_a_discard_before_that_wins() throws Exception {
        Payments payments = new Payments("paused");
        closing.add(payments);
        appendEvents("pay-6", 2, "paused.requested");
        List<DeadLetter> letters = awaitDeadLetters(payments.bus, "paused", 2);
        payments.healed.set(true);
        Map<DeadLetter, Integer> before = new HashMap<>();
        letters.forEach(letter -> before.put(letter, payments.deliveries(letter)));

        Result paused = nexus("subscriptions", "pause", "paused");
        Result retryAll = nexus("dead-letters", "retry", "--all", "--subscription", "paused");
        Thread.sleep(FAST.flushInterval().toMillis() * 10);
        int whilePaused = payments.deliveries(letters.get(0)) + payments.deliveries(letters.get(1));
        Result discard =
                nexus("dead-letters", "discard", Long.toString(letters.get(0).id()));
        Result resumed = nexus("subscriptions", "resume", "paused");
        awaitCondition(() -> payments.bus.deadLetters("paused", 10).isEmpty());

        assertThat(paused.code()).isZero();
        assertThat(retryAll.out()).contains("it is paused: the re-delivery runs once it is resumed");
        assertThat(whilePaused).isEqualTo(before.get(letters.get(0)) + before.get(letters.get(1)));
        assertThat(discard.code()).isZero();
        assertThat(resumed.code()).isZero();
        assertThat(payments.deliveries(letters.get(0))).isEqualTo(before.get(letters.get(0)));
        assertThat(payments.deliveries(letters.get(1))).isEqualTo(before.get(letters.get(1)) + 1);
    }

    @Test
    void a_discard_during_a_failing_re_delivery_wins_and_the_letter_never_comes_back() throws Exception {
        Payments payments = new Payments("racing");
        closing.add(payments);
        appendEvents("pay-7", 1, "racing.requested");
        DeadLetter letter = awaitDeadLetters(payments.bus, "racing", 1).get(0);
        int before = payments.deliveries(letter);
        payments.entered = new CountDownLatch(1);
        payments.proceed = new CountDownLatch(1);

        Result retry = nexus("dead-letters", "retry", Long.toString(letter.id()));
        assertThat(payments.entered.await(30, TimeUnit.SECONDS)).isTrue(); // the owner is in the listener now
        Result discard = nexus("dead-letters", "discard", Long.toString(letter.id()));
        payments.proceed.countDown(); // and it fails again
        awaitCondition(() -> payments.bus.status("racing").orElseThrow().lastError() != null);
        Thread.sleep(FAST.flushInterval().toMillis() * 10);

        assertThat(retry.code()).as(retry.err()).isZero();
        assertThat(discard.code()).as(discard.err()).isZero();
        assertThat(payments.deliveries(letter)).isEqualTo(before + 1);
        assertThat(payments.bus.deadLetters("racing", 10)).isEmpty();
    }

    @Test
    void only_the_process_holding_the_lease_runs_a_retry_and_the_other_never_sees_the_event() throws Exception {
        HikariConfig other = new HikariConfig();
        other.setJdbcUrl(database.jdbcUrl());
        other.setAutoCommit(database.autoCommit());
        other.setMaximumPoolSize(4);
        try (HikariDataSource otherPool = new HikariDataSource(other);
                PostgresEventStore otherStore = PostgresEventStore.builder(otherPool)
                        .schema(database.schema())
                        .build()) {
            Payments first = new Payments("shared");
            closing.add(first);
            appendEvents("pay-8", 1, "shared.requested");
            DeadLetter letter = awaitDeadLetters(first.bus, "shared", 1).get(0);
            Payments second = new Payments("shared", otherStore, otherPool); // waits: the first holds the lease
            closing.add(second);
            first.healed.set(true);
            second.healed.set(true);
            int before = first.deliveries(letter);

            Result retry = nexus("dead-letters", "retry", Long.toString(letter.id()), "--wait", "--timeout", "PT30S");

            assertThat(retry.code()).as(retry.err()).isZero();
            assertThat(retry.out()).contains("its owner " + first.bus.owner());
            assertThat(first.deliveries(letter)).isEqualTo(before + 1);
            assertThat(second.deliveries(letter)).isZero();
            second.close();
            first.close();
        }
    }

    @RepeatedTest(5)
    void retry_and_discard_released_together_deliver_at_most_once_and_leave_no_letter() throws Exception {
        String name = "race-" + UUID.randomUUID().toString().substring(0, 8);
        Payments payments = new Payments(name);
        closing.add(payments);
        appendEvents("pay-" + name, 1, name + ".requested");
        DeadLetter letter = awaitDeadLetters(payments.bus, name, 1).get(0);
        int before = payments.deliveries(letter);
        payments.healed.set(true);
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService threads = Executors.newFixedThreadPool(2);

        try {
            Future<Result> retry = threads.submit(() -> {
                start.await();
                return nexus("dead-letters", "retry", Long.toString(letter.id()));
            });
            Future<Result> discard = threads.submit(() -> {
                start.await();
                return nexus("dead-letters", "discard", Long.toString(letter.id()));
            });
            Result retried = retry.get(60, TimeUnit.SECONDS);
            Result discarded = discard.get(60, TimeUnit.SECONDS);
            Thread.sleep(FAST.flushInterval().toMillis() * 10);

            int runs = payments.deliveries(letter) - before;
            assertThat(runs).isBetween(0, 1);
            assertThat(payments.bus.deadLetters(name, 10)).isEmpty();
            // the discard finds nothing only when the re-delivery handled the event and removed the letter first
            assertThat(discarded.code() == 0 || runs == 1).as(discarded.err()).isTrue();
            assertThat(retried.code() == 0 || discarded.code() == 0).isTrue();
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void sagas_lists_and_shows_the_instances_a_real_saga_worker_ran() throws Exception {
        PostgresEventStore typed = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .types(ReminderSaga.types())
                .build();
        closing.add(typed);
        SagaWorker worker = SagaWorker.builder(new ReminderSaga(), typed, database.dataSource())
                .partitions(2)
                .config(FAST)
                .build()
                .start();
        closing.add(worker);
        typed.append(StreamId.of("task-1"), ExpectedVersion.any(), List.of(NewEvent.of(new TaskOpened("t1"))));
        typed.append(StreamId.of("task-2"), ExpectedVersion.any(), List.of(NewEvent.of(new TaskOpened("t2"))));
        AppendResult closed =
                typed.append(StreamId.of("task-2"), ExpectedVersion.any(), List.of(NewEvent.of(new TaskClosed("t2"))));
        awaitCondition(() -> typed.positionOf(closed.commitId()).isPresent());
        worker.awaitPosition(typed.positionOf(closed.commitId()).orElseThrow(), Duration.ofSeconds(30));

        Result all = nexus("sagas", "list");
        Result reminders = nexus("sagas", "list", "--type", "reminder");
        Result others = nexus("sagas", "list", "--type", "refund");
        Result open = nexus("sagas", "show", "reminder", "t1");
        Result ended = nexus("sagas", "show", "reminder", "t2");
        Result missing = nexus("sagas", "show", "reminder", "t3");

        assertThat(all.code()).as(all.err()).isZero();
        assertThat(all.out().lines().filter(line -> line.startsWith("saga-")))
                .hasSize(2)
                .anySatisfy(
                        line -> assertThat(line).startsWith("saga-reminder-t1 ").contains(" running "))
                .anySatisfy(
                        line -> assertThat(line).startsWith("saga-reminder-t2 ").contains(" ended "));
        assertThat(reminders.out()).contains("saga-reminder-t1", "saga-reminder-t2");
        assertThat(others.out().lines()).hasSize(1); // the header only
        assertThat(open.out())
                .contains("stream saga-reminder-t1", "  reminder-saga.reminded  ", "pending deadlines:")
                .containsPattern("\n  remind due 20");
        assertThat(ended.out()).contains("  " + SagaEvents.ENDED + "  ", "no pending deadline");
        assertThat(missing.code()).isEqualTo(Nexus.FAILURE);
        assertThat(missing.err()).contains("no saga instance 'saga-reminder-t3'");
    }

    @Test
    void cleanup_counts_in_a_dry_run_and_removes_nothing_that_is_younger() {
        appendEvents("young-1", 4, "young.event");

        Result dryRun = nexus("cleanup", "--older-than-days", "1", "--dry-run");
        Result cleanup = nexus("cleanup", "--older-than-days", "1");
        Result noAge = nexus("cleanup");

        assertThat(dryRun.out()).contains("dry run").contains("0 event(s) matched, 0 would be removed");
        assertThat(cleanup.code()).as(cleanup.err()).isZero();
        assertThat(cleanup.out()).contains("0 event(s) matched, 0 removed");
        assertThat(store.streamVersion(StreamId.of("young-1"))).isEqualTo(4);
        assertThat(noAge.code()).isEqualTo(Nexus.USAGE);
    }

    @Test
    void cleanup_removes_aged_events_in_batches_with_progress_holds_back_for_a_subscriber_and_force_removes_the_rest() {
        // A schema of its own: an age walk stops at the first batch appended after the cutoff, so the aged events
        // must be the oldest of the global order, as they are in life.
        String schema = "cli_cleanup";
        nexus("migrate", "--schema", schema);
        PostgresEventStore own =
                PostgresEventStore.builder(database.dataSource()).schema(schema).build();
        closing.add(own);
        for (int i = 0; i < 30; i++) { // one append each, so a batch of positions holds whole appends
            own.append(StreamId.of("old-1"), ExpectedVersion.any(), List.of(NewEvent.of("old.event", "{}")));
        }
        ageEvents(schema, 40);
        own.append(StreamId.of("fresh-1"), ExpectedVersion.any(), List.of(NewEvent.of("fresh.event", "{}")));
        long tenth = own.readStream(StreamId.of("old-1"), 10, 1).get(0).position();
        database.execute("INSERT INTO " + schema
                + ".subscriptions (name, kind, position) VALUES ('laggard', 'subscription', " + tenth + ")");

        Result dryRun = nexus("cleanup", "--schema", schema, "--older-than-days", "30", "--dry-run");
        Result run = nexus("cleanup", "--schema", schema, "--older-than-days", "30", "--batch-size", "4");
        long afterRun = own.readStream(StreamId.of("old-1"), 11, 100).size();
        Result forced = nexus("cleanup", "--schema", schema, "--older-than-days", "30", "--batch-size", "4", "--force");

        assertThat(dryRun.out()).contains("30 event(s) matched, 10 would be removed, 20 held back for");
        assertThat(dryRun.err()).isEmpty();
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("30 event(s) matched, 10 removed, 20 held back for subscription 'laggard'");
        assertThat(run.err())
                .startsWith("cleanup   0% 0/10")
                .contains("cleanup 100% 10/10")
                .doesNotContain("\r");
        assertThat(afterRun).isEqualTo(20);
        assertThat(forced.code()).as(forced.err()).isZero();
        assertThat(forced.out())
                .contains("20 event(s) matched, 20 removed, 20 removed although unprocessed by subscription 'laggard'");
        assertThat(forced.err()).startsWith("cleanup   0% 0/20").contains("cleanup 100% 20/20");
        assertThat(own.streamVersion(StreamId.of("old-1"))).isEqualTo(30);
        assertThat(own.readStream(StreamId.of("fresh-1"), 1, 10)).hasSize(1);
    }

    /**
     * Ages every event and append of {@code schema} as the retention tests do (the append-only trigger lifted), so they
     * look {@code days} old.
     */
    private void ageEvents(String schema, int days) {
        database.execute("ALTER TABLE " + schema + ".events DISABLE TRIGGER events_append_only_trg");
        database.execute("UPDATE " + schema + ".events SET recorded_at = now() - interval '" + days + " days'");
        database.execute("ALTER TABLE " + schema + ".events ENABLE TRIGGER events_append_only_trg");
        database.execute("UPDATE " + schema + ".commits SET sequenced_at = now() - interval '" + days + " days'");
    }

    @Test
    void stats_counts_streams_and_events_and_shows_each_subscribers_lag() throws Exception {
        nexus("migrate", "--schema", "cli_stats");
        String events = writeFile(
                "stat.json", "[{\"type\": \"stat.event\", \"data\": {}}, {\"type\": \"stat.event\", \"data\": {}}]");
        nexus("append", "--schema", "cli_stats", "--stream", "stat-1", events);
        nexus("append", "--schema", "cli_stats", "--stream", "stat-1", events);
        nexus("append", "--schema", "cli_stats", "--stream", "stat-2", events);
        nexus(
                "append",
                "--schema",
                "cli_stats",
                "--stream",
                "stat-2",
                "--expected",
                "2",
                writeFile("one.json", "{\"type\": \"stat.event\", \"data\": {}}"));

        Result stats = nexus("stats", "--schema", "cli_stats");

        assertThat(stats.code()).as(stats.err()).isZero();
        assertThat(stats.out()).contains("streams         2").contains("events          7");
        assertThat(stats.out()).contains("oldest event    20").contains("subscribers (lag = head - checkpoint)");
    }

    @Test
    void migrate_and_stats_say_when_a_table_of_the_store_is_never_analyzed() throws Exception {
        nexus("migrate", "--schema", "cli_setup");
        database.execute("ALTER TABLE cli_setup.events SET (autovacuum_enabled = false)");

        Result migrate = nexus("migrate", "--schema", "cli_setup");
        Result stats = nexus("stats", "--schema", "cli_setup");

        assertThat(migrate.code()).as(migrate.err()).isZero();
        assertThat(migrate.err()).contains("warning: autovacuum is turned off for cli_setup.events");
        assertThat(stats.code()).as(stats.err()).isZero();
        assertThat(stats.out()).contains("warning         autovacuum is turned off for cli_setup.events");

        database.execute("ALTER TABLE cli_setup.events RESET (autovacuum_enabled)");
        assertThat(nexus("stats", "--schema", "cli_setup").out()).doesNotContain("autovacuum is turned off for");
    }

    @Test
    void a_configuration_file_names_the_database() throws Exception {
        appendEvents("conf-1", 1, "conf.event");
        Path config = dir.resolve("nexus.yaml");
        Files.writeString(config, """
                events:
                  backend: postgres
                  postgresql:
                    jdbc_url: ${TEST_URL:-%s}
                    schema: %s
                """.formatted(database.jdbcUrl(), database.schema()));

        Result read = nexus("read", "conf-1", "--config", config.toString());

        assertThat(read.code()).as(read.err()).isZero();
        assertThat(read.out()).contains("conf-1@1");
    }

    @Test
    void usage_errors_exit_2_failures_exit_1_in_one_line_and_verbose_adds_the_stack() {
        Result unknown = nexus("frobnicate");
        StringWriter noDatabaseErr = new StringWriter();
        int noDatabase = Nexus.run(new PrintWriter(new StringWriter()), new PrintWriter(noDatabaseErr), "stats");
        Result down = nexus("stats", "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/nowhere?user=x&password=hunter2");
        Result verbose = nexus(
                "stats", "--verbose", "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/nowhere?user=x&password=hunter2");

        assertThat(unknown.code()).isEqualTo(Nexus.USAGE);
        assertThat(noDatabase).isEqualTo(Nexus.USAGE);
        assertThat(noDatabaseErr.toString()).contains("give the database: --jdbc-url");
        assertThat(down.code()).isEqualTo(Nexus.FAILURE);
        assertThat(down.err().strip())
                .startsWith("nexus stats: ")
                .doesNotContain("\n")
                .doesNotContain("hunter2");
        assertThat(verbose.err()).contains("\tat ");
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 30 s");
            }
            Thread.sleep(50);
        }
    }
}
