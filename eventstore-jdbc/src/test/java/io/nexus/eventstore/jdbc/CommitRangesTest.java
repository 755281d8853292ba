package io.nexus.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The global order keeps one row per range of consecutive commit ids a sequencing run ordered (V12). The appends here
 * commit in one transaction and are ordered by one run, so they form ranges; every read that turns a commit id and an
 * index into a position (a page of the global order starting anywhere, a filtered page, a stream read, the position of
 * a commit, the count of removed positions) must agree with the order the appends were made in.
 */
@PostgresTest
class CommitRangesTest {
    /** More commits than one range holds (256), of mixed sizes. */
    private static final int APPENDS = 600;

    private final TestDatabase database;
    private final PostgresEventStore store;

    CommitRangesTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .types(EventTypeRegistry.rawJson())
                .build();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void every_read_of_positions_agrees_with_the_order_of_appends_ordered_in_one_run() throws SQLException {
        String schema = database.schema();
        long headBefore = store.headPosition();
        // One transaction: every commit id is drawn before any of them is visible, so one sequencing run orders all.
        // Append i writes 1 + i % 3 events to stream "range-<i % 7>", so streams interleave across ranges.
        database.execute("DO $$ DECLARE n int; BEGIN FOR i IN 0.." + (APPENDS - 1) + " LOOP n := 1 + i % 3;"
                + " PERFORM " + schema + ".append_to_stream('range-' || (i % 7), -1,"
                + "   ARRAY(SELECT gen_random_uuid() FROM generate_series(1, n)),"
                + "   ARRAY(SELECT 'range.' || (i % 2) FROM generate_series(1, n)),"
                + "   (SELECT jsonb_agg(jsonb_build_object('append', i, 'index', k - 1)) FROM generate_series(1, n) k),"
                + "   (SELECT jsonb_agg(NULL::jsonb) FROM generate_series(1, n)),"
                + "   ARRAY(SELECT NULL::uuid FROM generate_series(1, n)),"
                + "   ARRAY(SELECT NULL::uuid FROM generate_series(1, n)),"
                + "   ARRAY(SELECT NULL::text FROM generate_series(1, n))); END LOOP; END $$");
        long head = store.headPosition();
        long events = APPENDS / 3 * (1 + 2 + 3); // 1, 2 and 3 events in turn
        assertThat(head - headBefore).isEqualTo(events);
        assertThat(longs("SELECT cardinality(commit_offsets) FROM " + schema
                        + ".commits WHERE commit_offsets IS NOT NULL ORDER BY last_position"))
                .as("commits per range row")
                .isNotEmpty()
                .allSatisfy(commits -> assertThat(commits).isBetween(2L, 256L))
                .anySatisfy(commits -> assertThat(commits).isEqualTo(256L));

        List<RecordedEvent> all = store.readAll(headBefore + 1, (int) events);
        assertThat(all).hasSize((int) events);
        for (int i = 0; i < all.size(); i++) {
            assertThat(all.get(i).position()).isEqualTo(headBefore + 1 + i);
        }
        // The appends' own order, event by event: (append, index) ascending.
        List<Long> order = all.stream().map(CommitRangesTest::appendAndIndex).toList();
        assertThat(order).isSorted().doesNotHaveDuplicates();
        assertThat(order.get(0)).isZero();
        assertThat(order.get(order.size() - 1)).isEqualTo((APPENDS - 1) * 10L + (APPENDS - 1) % 3);

        // Pages starting at every position, mid-commit and mid-range included, read the same events.
        for (long from = headBefore + 1; from <= head; from += 1) {
            List<RecordedEvent> page = store.readAll(from, 5);
            int at = (int) (from - headBefore - 1);
            assertThat(page).as("page from %d", from).hasSize((int) Math.min(5, head - from + 1));
            for (int i = 0; i < page.size(); i++) {
                assertThat(page.get(i).eventId()).isEqualTo(all.get(at + i).eventId());
                assertThat(page.get(i).position()).isEqualTo(from + i);
            }
        }
        // A filtered page (one of the two types) and one bounded by a position keep the same positions.
        List<RecordedEvent> odd = store.readAll(headBefore + 1, (int) events, EventFilter.types("range.1"));
        assertThat(odd)
                .isNotEmpty()
                .allSatisfy(e -> assertThat(e.type()).isEqualTo("range.1"))
                .allSatisfy(e -> assertThat(
                                all.get((int) (e.position() - headBefore - 1)).eventId())
                        .isEqualTo(e.eventId()));
        long middle = headBefore + events / 2 + 1;
        List<RecordedEvent> upTo = store.readAllUpTo(middle - 10, middle, 100, EventFilter.types("range.0"));
        assertThat(upTo)
                .isNotEmpty()
                .allSatisfy(e -> assertThat(e.position()).isBetween(middle - 10, middle))
                .allSatisfy(e -> assertThat(
                                all.get((int) (e.position() - headBefore - 1)).eventId())
                        .isEqualTo(e.eventId()));

        // Stream reads find each event's range and position.
        List<RecordedEvent> stream = store.readStream(StreamId.of("range-3"), 1, 10_000);
        assertThat(stream)
                .isNotEmpty()
                .allSatisfy(e -> assertThat(
                                all.get((int) (e.position() - headBefore - 1)).eventId())
                        .isEqualTo(e.eventId()));

        // The position of a commit is that of its last event.
        for (long commitId : longs("SELECT commit_id FROM " + schema + ".events WHERE stream_id LIKE 'range-%'"
                + " GROUP BY commit_id ORDER BY commit_id")) {
            long last = longs("SELECT max(stream_version) FROM " + schema + ".events WHERE commit_id = " + commitId)
                    .get(0);
            String streamOfCommit = strings("SELECT stream_id FROM " + schema + ".events WHERE commit_id = " + commitId)
                    .get(0);
            RecordedEvent lastEvent =
                    store.readStream(StreamId.of(streamOfCommit), last, 1).get(0);
            assertThat(store.positionOf(commitId)).as("commit %d", commitId).contains(lastEvent.position());
        }
        assertThat(store.removedEvents(headBefore + 1, head)).isZero();
    }

    /**
     * Once retention has removed a whole range and VACUUM has let later ranges reuse its place in the table, the rows
     * of {@code commits} no longer lie in position order, and a plan that sorts a page's rows by range (all rows of a
     * range tie) kept arbitrary ones of the range a page's LIMIT cuts: a page skipped events that were never removed.
     * And with holes in the positions, a read up to a position must still end there.
     */
    @Test
    void pages_after_a_removed_range_read_every_remaining_event_in_order_and_end_where_asked() throws SQLException {
        String schema = database.schema();
        long headBefore = store.headPosition();
        appendSingleEventsInOneRun(APPENDS);
        long firstRangeEnd = longs(
                        "SELECT min(last_position) FROM " + schema + ".commits WHERE last_position > " + headBefore)
                .get(0);
        assertThat(firstRangeEnd - headBefore)
                .as("events in the first new range")
                .isGreaterThan(100);
        // Retention's removal of the first range, as EventRetention does it: its events, then its commits row.
        database.execute("ALTER TABLE " + schema + ".events DISABLE TRIGGER events_append_only_trg");
        database.execute("DELETE FROM " + schema + ".events e USING " + schema + ".commits c"
                + " WHERE c.last_position = " + firstRangeEnd
                + " AND e.commit_id BETWEEN coalesce(c.first_commit_id, c.commit_id) AND c.commit_id");
        database.execute("ALTER TABLE " + schema + ".events ENABLE TRIGGER events_append_only_trg");
        database.execute("DELETE FROM " + schema + ".commits WHERE last_position = " + firstRangeEnd);
        database.execute("UPDATE " + schema + ".retention_state SET max_removed_position = " + firstRangeEnd);
        database.execute("VACUUM ANALYZE " + schema + ".commits"); // as autovacuum would
        long headMiddle = store.headPosition();
        appendSingleEventsInOneRun(APPENDS);
        long head = store.headPosition();

        List<Long> expected = new ArrayList<>();
        for (long position = firstRangeEnd + 1; position <= head; position++) {
            expected.add(position);
        }
        List<Long> read = new ArrayList<>();
        for (long from = headBefore + 1; from <= head; ) {
            List<RecordedEvent> page = store.readAll(from, 300);
            if (page.isEmpty()) {
                break;
            }
            page.forEach(event -> read.add(event.position()));
            from = page.get(page.size() - 1).position() + 1;
        }
        assertThat(read).as("positions read page by page").isEqualTo(expected);
        List<RecordedEvent> acrossTheMiddle = store.readAll(headMiddle - 20, 300);
        assertThat(acrossTheMiddle)
                .extracting(RecordedEvent::position)
                .isEqualTo(expected.subList(
                        (int) (headMiddle - 20 - firstRangeEnd - 1),
                        (int) (headMiddle - 20 - firstRangeEnd - 1) + 300));

        long to = firstRangeEnd + 10;
        List<RecordedEvent> upTo = store.readAllUpTo(firstRangeEnd - 20, to, 100, EventFilter.ALL);
        assertThat(upTo).extracting(RecordedEvent::position).isEqualTo(expected.subList(0, 10));
        assertThat(store.removedEvents(headBefore + 1, to)).isEqualTo(firstRangeEnd - headBefore);
    }

    /** Appends {@code count} one-event appends in one transaction, so that one sequencing run orders them all. */
    private void appendSingleEventsInOneRun(int count) {
        database.execute("DO $$ BEGIN FOR i IN 1.." + count + " LOOP PERFORM " + database.schema()
                + ".append_to_stream('single-' || i, -1, ARRAY[gen_random_uuid()], ARRAY['single'],"
                + " jsonb_build_array(jsonb_build_object('i', i)), jsonb_build_array(NULL::jsonb),"
                + " ARRAY[NULL::uuid], ARRAY[NULL::uuid], ARRAY[NULL::text]); END LOOP; END $$");
        store.headPosition();
    }

    /** The append (ascending in commit order) and the index in it, as append * 10 + index (an append has 3 at most). */
    private static long appendAndIndex(RecordedEvent event) {
        String json = ((RawJson) event.data()).json();
        long append = Long.parseLong(json.replaceAll(".*\"append\": ?(\\d+).*", "$1"));
        long index = Long.parseLong(json.replaceAll(".*\"index\": ?(\\d+).*", "$1"));
        return append * 10 + index;
    }

    private List<Long> longs(String sql) throws SQLException {
        List<Long> values = new ArrayList<>();
        for (String value : strings(sql)) {
            values.add(Long.parseLong(value));
        }
        return values;
    }

    private List<String> strings(String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                values.add(rows.getString(1));
            }
        }
        return values;
    }
}
