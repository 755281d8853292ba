package io.nexus.eventstore.jdbc;

import static io.nexus.eventstore.core.contract.TestEvents.uniqueStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamDeletedException;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.StreamTruncatedException;
import io.nexus.eventstore.jdbc.internal.SqlErrors;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

@PostgresTest
class EventRetentionTest {
    private final TestDatabase database;
    private final PostgresEventStore store;
    private final EventRetention retention;

    EventRetentionTest(TestDatabase shared) {
        // A database of its own per test: a global policy and the counts it reports see every event in the store.
        this.database = shared.sibling();
        this.store = PostgresEventStore.builder(database.dataSource()).build();
        this.retention = EventRetention.create(database.dataSource(), "nexus", 3);
    }

    @AfterEach
    void close() {
        store.close();
        database.dataSource().close();
    }

    private void ageEvents(String condition, int days) {
        database.execute("ALTER TABLE nexus.events DISABLE TRIGGER events_append_only_trg");
        database.execute(
                "UPDATE nexus.events SET recorded_at = now() - interval '" + days + " days' WHERE " + condition);
        database.execute("ALTER TABLE nexus.events ENABLE TRIGGER events_append_only_trg");
    }

    private void subscriptionAt(String name, String kind, long position) {
        database.execute("INSERT INTO nexus.subscriptions (name, kind, position) VALUES ('" + name + "', '" + kind
                + "', " + position + ")");
    }

    private List<RecordedEvent> appendEach(StreamId stream, int count) {
        for (int i = 0; i < count; i++) {
            store.append(stream, ExpectedVersion.any(), List.of(event()));
        }
        return store.readStream(stream, 1, count);
    }

    @Test
    void events_older_than_the_age_leave_and_the_rest_keep_versions_and_positions() {
        StreamId stream = uniqueStream("order");
        store.append(stream, ExpectedVersion.noStream(), List.of(event(), event()));
        ageEvents("TRUE", 40);
        store.append(stream, ExpectedVersion.exactly(2), List.of(event()));
        long lastPosition = store.readStream(stream, 3, 1).get(0).position();

        RetentionReport report = retention.run(RetentionPolicy.maxAge(Duration.ofDays(30)));

        assertThat(report.removed()).isEqualTo(2);
        assertThat(report.heldBack()).isZero();
        List<RecordedEvent> left = store.readStream(stream, 3, 10);
        assertThat(left).extracting(RecordedEvent::streamVersion).containsExactly(3L);
        assertThat(left.get(0).position()).isEqualTo(lastPosition);
        assertThat(store.streamVersion(stream)).isEqualTo(3);
        assertThat(store.readAll(1, 10))
                .extracting(RecordedEvent::streamVersion)
                .containsExactly(3L);
        assertThat(store.removedEvents(1, lastPosition)).isEqualTo(2);
    }

    @Test
    void progress_is_told_before_the_first_batch_and_after_each_with_what_is_expected() {
        StreamId stream = uniqueStream("order");
        List<RecordedEvent> events = appendEach(stream, 10);
        subscriptionAt("billing", "subscription", events.get(6).position());
        List<long[]> told = new ArrayList<>();

        RetentionReport run = retention.run(
                RetentionPolicy.truncateBefore(11).in(RetentionScope.stream(stream)),
                (removed, expected) -> told.add(new long[] {removed, expected}));

        assertThat(run.removed()).isEqualTo(7);
        assertThat(told.get(0)).containsExactly(0, 7);
        assertThat(told.get(told.size() - 1)).containsExactly(7, 7);
        assertThat(told).extracting(pair -> pair[0]).isSorted();
        assertThat(told).hasSizeGreaterThanOrEqualTo(1 + 3); // batches of 3: at least three remove events
    }

    @Test
    void a_forward_read_from_a_removed_version_says_where_the_history_now_starts() {
        StreamId stream = uniqueStream("order");
        appendEach(stream, 5);

        retention.run(RetentionPolicy.truncateBefore(4).in(RetentionScope.stream(stream)));

        Throwable thrown = catchThrowable(() -> store.readStream(stream, 1, 10));
        assertThat(thrown).isInstanceOf(StreamTruncatedException.class).hasMessageContaining("before version 4");
        assertThat(((StreamTruncatedException) thrown).firstVersion()).isEqualTo(4);
        assertThatThrownBy(() -> store.streamEvents(stream, 1).iterator().next())
                .isInstanceOf(StreamTruncatedException.class);
        assertThat(store.readStream(stream, 4, 10))
                .extracting(RecordedEvent::streamVersion)
                .containsExactly(4L, 5L);
        assertThat(store.readStreamBackward(stream, Long.MAX_VALUE, 10))
                .extracting(RecordedEvent::streamVersion)
                .containsExactly(5L, 4L);
    }

    @Test
    void nothing_after_the_lowest_checkpoint_goes_and_the_report_says_for_whom() {
        StreamId stream = uniqueStream("order");
        List<RecordedEvent> events = appendEach(stream, 10);
        subscriptionAt("billing", "subscription", events.get(5).position());
        subscriptionAt("ledger", "projection", events.get(3).position());
        ageEvents("TRUE", 40);

        RetentionReport report = retention.run(RetentionPolicy.maxAge(Duration.ofDays(30)));

        assertThat(report.matched()).isEqualTo(10);
        assertThat(report.removed()).isEqualTo(4);
        assertThat(report.heldBack()).isEqualTo(6);
        assertThat(report.consumers())
                .extracting(
                        RetentionReport.Consumer::name,
                        RetentionReport.Consumer::kind,
                        RetentionReport.Consumer::events)
                .containsExactly(tuple("ledger", "projection", 6L), tuple("billing", "subscription", 4L));
        assertThat(report.summary()).contains("6 held back for projection 'ledger'");
        assertThat(store.readStream(stream, 5, 10)).hasSize(6);
    }

    @Test
    void a_dead_letter_is_kept_for_redelivery() {
        StreamId stream = uniqueStream("order");
        List<RecordedEvent> events = appendEach(stream, 6);
        subscriptionAt("mailer", "subscription", events.get(5).position());
        database.execute("INSERT INTO nexus.dead_letters (subscription, position, event_id, stream_id, type, attempts,"
                + " error) VALUES ('mailer', " + events.get(2).position() + ", '"
                + events.get(2).eventId() + "', '"
                + stream + "', 'order.noted', 3, 'boom')");

        RetentionReport report = retention.run(RetentionPolicy.truncateBefore(100));

        assertThat(report.removed()).isEqualTo(2);
        assertThat(report.consumers())
                .extracting(RetentionReport.Consumer::name, RetentionReport.Consumer::kind)
                .containsExactly(tuple("mailer", "dead letters"));
        assertThat(store.readStream(stream, 3, 10)).hasSize(4);
    }

    @Test
    void force_removes_unprocessed_events_and_reports_what_each_consumer_skipped() {
        StreamId stream = uniqueStream("order");
        List<RecordedEvent> events = appendEach(stream, 5);
        subscriptionAt("slow", "subscription", events.get(1).position());

        RetentionReport report = retention.force(RetentionPolicy.truncateBefore(5));

        assertThat(report.removed()).isEqualTo(4);
        assertThat(report.unprocessed()).isEqualTo(2);
        assertThat(report.heldBack()).isZero();
        assertThat(report.consumers())
                .extracting(RetentionReport.Consumer::name, RetentionReport.Consumer::events)
                .containsExactly(tuple("slow", 2L));
        assertThat(report.summary()).contains("2 removed although unprocessed by subscription 'slow'");
        assertThat(store.removedEvents(
                        events.get(1).position() + 1, events.get(4).position()))
                .isEqualTo(2);
    }

    @Test
    void a_dry_run_reports_what_would_go_and_removes_nothing() {
        StreamId stream = uniqueStream("order");
        List<RecordedEvent> events = appendEach(stream, 5);
        subscriptionAt("slow", "subscription", events.get(2).position());

        RetentionReport report = retention.dryRun(RetentionPolicy.maxCount(1));

        assertThat(report.mode()).isEqualTo(RetentionReport.Mode.DRY_RUN);
        assertThat(report.matched()).isEqualTo(4);
        assertThat(report.removed()).isEqualTo(3);
        assertThat(report.heldBack()).isEqualTo(1);
        assertThat(report.batches()).isZero();
        assertThat(report.summary()).contains("3 would be removed");
        assertThat(store.readStream(stream, 1, 10)).hasSize(5);
    }

    @Test
    void max_count_in_a_category_keeps_the_newest_events_of_each_of_its_streams_and_leaves_other_categories() {
        String category = "sensor" + Long.toHexString(System.nanoTime());
        StreamId first = StreamId.of(category, "1");
        StreamId second = StreamId.of(category, "2");
        StreamId other = uniqueStream("order");
        for (int i = 0; i < 7; i++) {
            store.append(first, ExpectedVersion.any(), List.of(event()));
            store.append(second, ExpectedVersion.any(), List.of(event()));
            store.append(other, ExpectedVersion.any(), List.of(event()));
        }

        store.headPosition(); // retention removes ordered events only; order these now rather than race the sequencer

        RetentionReport report = retention.run(RetentionPolicy.maxCount(2).in(RetentionScope.category(category)));

        assertThat(report.removed()).isEqualTo(10);
        assertThat(report.batches()).isGreaterThan(1);
        assertThat(store.readStream(first, 6, 10))
                .extracting(RecordedEvent::streamVersion)
                .containsExactly(6L, 7L);
        assertThat(store.readStream(second, 6, 10))
                .extracting(RecordedEvent::streamVersion)
                .containsExactly(6L, 7L);
        assertThat(store.readStream(other, 1, 10)).hasSize(7);
    }

    @Test
    void reads_of_the_global_order_walk_past_removed_positions_with_full_pages() {
        StreamId kept = uniqueStream("order");
        StreamId removed = uniqueStream("cart");
        for (int i = 0; i < 12; i++) {
            store.append(removed, ExpectedVersion.any(), List.of(event(), event()));
            store.append(kept, ExpectedVersion.any(), List.of(event()));
        }
        store.headPosition(); // retention removes ordered events only; order these now rather than race the sequencer
        retention.run(RetentionPolicy.truncateBefore(1_000).in(RetentionScope.stream(removed)));
        long head = store.headPosition();

        List<RecordedEvent> page = store.readAll(1, 5);
        List<RecordedEvent> upTo = store.readAllUpTo(1, head, 5, EventFilter.ALL);
        List<RecordedEvent> all = new ArrayList<>();
        store.allEvents(1, EventFilter.ALL, 4).forEach(all::add);

        assertThat(page).hasSize(5).allMatch(e -> e.streamId().equals(kept));
        assertThat(upTo).hasSize(5).isEqualTo(page);
        assertThat(all)
                .extracting(RecordedEvent::streamVersion)
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
        assertThat(store.removedEvents(1, head)).isEqualTo(24);
        assertThatThrownBy(() -> store.readStream(removed, 1, 10))
                .isInstanceOf(StreamTruncatedException.class)
                .hasMessageContaining("before version 25");
    }

    @Test
    void the_events_of_a_soft_deleted_stream_are_removed_and_its_tombstone_stays() {
        StreamId deleted = uniqueStream("order");
        StreamId live = uniqueStream("order");
        appendEach(deleted, 4);
        appendEach(live, 2);
        store.deleteStream(deleted, ExpectedVersion.exactly(4));

        RetentionReport report = retention.run(RetentionPolicy.deletedStreams());

        assertThat(report.removed()).isEqualTo(4);
        assertThat(store.readStream(live, 1, 10)).hasSize(2);
        assertThat(store.readAll(1, 10)).extracting(RecordedEvent::streamId).containsOnly(live);
        assertThat(store.removedEvents(1, store.headPosition())).isEqualTo(4);
        assertThatThrownBy(() -> store.streamVersion(deleted)).isInstanceOf(StreamDeletedException.class);
        assertThatThrownBy(() -> store.append(deleted, ExpectedVersion.any(), List.of(event())))
                .isInstanceOf(StreamDeletedException.class);
    }

    @Test
    void a_plain_delete_stays_refused_outside_the_retention_path_and_bad_policies_are_refused() {
        store.append(uniqueStream("order"), ExpectedVersion.any(), List.of(event()));

        Throwable thrown = catchThrowable(() -> database.execute("DELETE FROM nexus.events"));

        assertThat(SqlErrors.sqlState(thrown)).isEqualTo(SqlErrors.APPEND_ONLY);
        assertThatThrownBy(() -> RetentionPolicy.maxAge(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxAge must be at least 1 second, was PT0S");
        assertThatThrownBy(() -> RetentionPolicy.maxCount(0)).hasMessageContaining("keep must be >= 1");
        assertThatThrownBy(() -> RetentionPolicy.truncateBefore(1)).hasMessageContaining("version must be >= 2");
        assertThatThrownBy(() -> RetentionScope.category("order-42")).hasMessageContaining("was 'order-42'");
        assertThatThrownBy(() -> EventRetention.create(database.dataSource(), "nexus", 0))
                .hasMessageContaining("batchSize must be >= 1, was 0");
    }

    private static NewEvent event() {
        return NewEvent.of("order.noted", RawJson.of("{}"));
    }
}
