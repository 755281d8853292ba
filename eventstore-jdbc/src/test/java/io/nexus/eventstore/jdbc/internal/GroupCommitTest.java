package io.nexus.eventstore.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.WrongExpectedVersionException;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.eventstore.json.JacksonEventSerializer;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Group commit on a real database: concurrent appends share transactions and each keeps the outcome it would have had
 * alone. The deterministic cases drive a {@link GroupCommit} of their own, whose lone writes wait on a latch, so that
 * the appends queued meanwhile go as one group.
 */
@PostgresTest
@Timeout(120)
class GroupCommitTest {
    private static final int WRITERS = 16;

    private final TestDatabase database;
    private final PostgresEventStore store;
    private final Appender appender;
    private final ExecutorService callers = Executors.newCachedThreadPool();

    GroupCommitTest(TestDatabase database) {
        this.database = database;
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
        this.appender = new Appender(
                EventStoreSql.of(database.schema()),
                new EventCodec(EventTypeRegistry.rawJson(), JacksonEventSerializer.create(), null));
    }

    @AfterEach
    void close() {
        callers.shutdownNow();
        store.close();
    }

    @Test
    void concurrent_appends_share_transactions_and_each_keeps_its_outcome() throws Exception {
        long ownPerWriter = 30;
        long sharedPerWriter = 10;
        StreamId shared = stream("shared");
        List<StreamId> own = new CopyOnWriteArrayList<>();
        List<AppendResult> results = new CopyOnWriteArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            writers.add(callers.submit(() -> {
                start.await();
                for (int i = 0; i < ownPerWriter + sharedPerWriter; i++) {
                    if (i % 4 == 3) {
                        results.add(store.append(shared, ExpectedVersion.any(), List.of(event())));
                    } else {
                        StreamId mine = stream("own");
                        own.add(mine);
                        results.add(store.append(mine, ExpectedVersion.noStream(), List.of(event(), event())));
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> writer : writers) {
            writer.get();
        }

        long appends = WRITERS * (ownPerWriter + sharedPerWriter);
        assertThat(results).hasSize((int) appends);
        assertThat(results.stream().map(AppendResult::commitId).distinct()).hasSize((int) appends);
        // The shared stream took every `any` append once, without holes; each own stream its two events.
        assertThat(versions(shared)).containsExactlyElementsOf(range(1, WRITERS * sharedPerWriter));
        for (StreamId mine : own) {
            assertThat(versions(mine)).containsExactly(1L, 2L);
        }
        long stored = WRITERS * sharedPerWriter + 2L * own.size();
        assertThat(count("SELECT count(*) FROM %s.events")).isEqualTo(stored);
        // Fewer transactions than appends: callers that came while others were writing went together.
        assertThat(count("SELECT count(DISTINCT xmin::text) FROM %s.events")).isLessThan(appends);
        // The global order holds every event once, dense.
        assertThat(store.headPosition()).isEqualTo(stored);
        assertThat(count("SELECT count(DISTINCT c.first_position + e.commit_index) FROM %s.events e"
                        + " JOIN %<s.commits c USING (commit_id)"))
                .isEqualTo(stored);
    }

    @Test
    void queued_appends_go_as_one_group_in_one_transaction_and_one_streams_appends_in_order() throws Exception {
        Gated gated = new Gated();
        StreamId stream = stream("ordered");
        StreamAppend other = StreamAppend.of(stream("other"), ExpectedVersion.any(), List.of(event()));
        StreamAppend third = StreamAppend.of(stream("third"), ExpectedVersion.noStream(), List.of(event(), event()));
        gated.blockTwoLoneWrites();
        List<Future<AppendResult>> queued = new ArrayList<>();
        queued.add(gated.submit(StreamAppend.of(stream, ExpectedVersion.noStream(), List.of(event()))));
        queued.add(gated.submit(StreamAppend.of(stream, ExpectedVersion.exactly(1), List.of(event(), event()))));
        queued.add(gated.submit(other));
        queued.add(gated.submit(third));
        gated.releaseAndJoin();

        assertThat(queued.get(0).get().nextExpectedVersion()).isEqualTo(1);
        assertThat(queued.get(1).get().nextExpectedVersion()).isEqualTo(3);
        assertThat(queued.get(2).get().nextExpectedVersion()).isEqualTo(1);
        assertThat(queued.get(3).get().nextExpectedVersion()).isEqualTo(2);
        // One stream's second append waits for a later group (here alone): a group holds each stream once.
        assertThat(gated.groupSizes).containsExactly(3);
        assertThat(gated.loneWrites.get()).isEqualTo(1);
        assertThat(versions(stream)).containsExactly(1L, 2L, 3L);
        assertThat(versions(third.streamId())).containsExactly(1L, 2L);
        assertThat(count("SELECT count(DISTINCT xmin::text) FROM %s.events WHERE stream_id IN ('"
                        + other.streamId().value() + "', '" + third.streamId().value() + "')"))
                .isEqualTo(1);
        // Each append of the group has its own commit id.
        Set<Long> commitIds = new HashSet<>();
        for (Future<AppendResult> result : queued) {
            commitIds.add(result.get().commitId());
        }
        assertThat(commitIds).hasSize(4);
    }

    @Test
    void one_failing_append_fails_the_group_and_the_others_succeed_alone() throws Exception {
        StreamId existing = stream("existing");
        StreamId existingToo = stream("existing");
        store.append(existing, ExpectedVersion.noStream(), List.of(event()));
        store.append(existingToo, ExpectedVersion.noStream(), List.of(event()));
        Gated gated = new Gated();
        gated.blockTwoLoneWrites();
        StreamId fresh = stream("fresh");
        Future<AppendResult> first = gated.submit(StreamAppend.of(fresh, ExpectedVersion.noStream(), List.of(event())));
        Future<AppendResult> wrong =
                gated.submit(StreamAppend.of(existing, ExpectedVersion.exactly(5), List.of(event())));
        Future<AppendResult> any = gated.submit(StreamAppend.of(existingToo, ExpectedVersion.any(), List.of(event())));
        gated.releaseAndJoin();

        assertThat(first.get().nextExpectedVersion()).isEqualTo(1);
        assertThat(any.get().nextExpectedVersion()).isEqualTo(2);
        assertThatThrownBy(wrong::get)
                .hasCauseInstanceOf(WrongExpectedVersionException.class)
                .cause()
                .satisfies(e -> assertThat(((WrongExpectedVersionException) e).actualVersion())
                        .isEqualTo(1));
        assertThat(gated.groupSizes).containsExactly(3);
        assertThat(gated.loneWrites.get()).isEqualTo(3); // each append of the group, alone
        assertThat(versions(fresh)).containsExactly(1L);
        assertThat(versions(existing)).containsExactly(1L);
        assertThat(versions(existingToo)).containsExactly(1L, 2L);
    }

    @Test
    void a_resent_append_in_a_group_returns_its_first_result() throws Exception {
        StreamAppend append = StreamAppend.of(stream("resent"), ExpectedVersion.noStream(), List.of(event()));
        AppendResult once = store.append(append.streamId(), append.expectedVersion(), append.events());
        Gated gated = new Gated();
        gated.blockTwoLoneWrites();
        Future<AppendResult> twice = gated.submit(append);
        Future<AppendResult> other =
                gated.submit(StreamAppend.of(stream("other"), ExpectedVersion.noStream(), List.of(event())));
        gated.releaseAndJoin();

        assertThat(twice.get()).isEqualTo(once);
        assertThat(other.get().nextExpectedVersion()).isEqualTo(1);
        assertThat(gated.groupSizes).containsExactly(2);
        assertThat(versions(append.streamId())).containsExactly(1L);
    }

    @Test
    void a_group_does_not_wait_for_a_stream_another_transaction_holds() throws Exception {
        StreamId held = stream("held");
        StreamId free = stream("free");
        try (Connection holder = database.dataSource().getConnection()) {
            holder.setAutoCommit(false);
            store.append(holder, held, ExpectedVersion.noStream(), List.of(event())); // holds the new stream's row
            Gated gated = new Gated();
            gated.blockTwoLoneWrites();
            Future<AppendResult> waiting = gated.submit(StreamAppend.of(held, ExpectedVersion.any(), List.of(event())));
            Future<AppendResult> other =
                    gated.submit(StreamAppend.of(free, ExpectedVersion.noStream(), List.of(event())));
            gated.releaseAndJoin();

            // The group gives up on the held row after its lock timeout; the free stream's append then commits
            // alone while the holder's transaction is still open.
            assertThat(other.get(30, TimeUnit.SECONDS).nextExpectedVersion()).isEqualTo(1);
            assertThat(waiting).isNotDone();
            holder.commit();
            assertThat(waiting.get().nextExpectedVersion()).isEqualTo(2);
            assertThat(gated.groupSizes).containsExactly(2);
        }
    }

    /**
     * A group commit whose first two lone writes (as many as may be in flight) wait for {@link #release()}, so that
     * the appends submitted meanwhile queue up; they may wait for room as long as the test needs.
     */
    private final class Gated {
        final List<Integer> groupSizes = new CopyOnWriteArrayList<>();
        final AtomicInteger loneWrites = new AtomicInteger();
        private final CountDownLatch released = new CountDownLatch(1);
        private final CountDownLatch blocked = new CountDownLatch(2);
        private final List<Future<AppendResult>> blockers = new CopyOnWriteArrayList<>();
        private final GroupCommit groups = new GroupCommit(this::alone, this::together, Duration.ofMinutes(5));

        void blockTwoLoneWrites() throws InterruptedException {
            for (int i = 0; i < 2; i++) {
                StreamAppend blocker = StreamAppend.of(stream("blocker"), ExpectedVersion.noStream(), List.of(event()));
                blockers.add(callers.submit(() -> groups.append(appender.encode(blocker))));
            }
            assertThat(blocked.await(30, TimeUnit.SECONDS)).isTrue();
        }

        /** Submits an append and returns once it is queued. */
        Future<AppendResult> submit(StreamAppend append) throws InterruptedException {
            int before = groups.queued();
            Future<AppendResult> result = callers.submit(() -> groups.append(appender.encode(append)));
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (groups.queued() == before && System.nanoTime() < until) {
                Thread.sleep(1);
            }
            assertThat(groups.queued()).isEqualTo(before + 1);
            return result;
        }

        void release() {
            released.countDown();
        }

        /** Releases the blocked writes and waits for them. */
        void releaseAndJoin() throws Exception {
            release();
            for (Future<AppendResult> blocker : blockers) {
                assertThat(blocker.get().nextExpectedVersion()).isEqualTo(1);
            }
        }

        private AppendResult alone(Appender.Encoded append) {
            if (append.append().streamId().value().startsWith("blocker-")) {
                blocked.countDown();
                try {
                    released.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            } else {
                loneWrites.incrementAndGet();
            }
            try (Connection connection = database.dataSource().getConnection()) {
                connection.setAutoCommit(true);
                return appender.append(connection, append);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        private List<AppendResult> together(List<Appender.Encoded> group) throws SQLException {
            groupSizes.add(group.size());
            try (Connection connection = database.dataSource().getConnection()) {
                connection.setAutoCommit(true);
                return appender.appendGroup(connection, group, GroupCommit.LOCK_TIMEOUT);
            }
        }
    }

    private static StreamId stream(String category) {
        return StreamId.of(category + "-" + UUID.randomUUID());
    }

    private static NewEvent event() {
        return NewEvent.of("thing.happened", "{\"n\":" + UUID.randomUUID().hashCode() + "}");
    }

    private static List<Long> range(long from, long to) {
        List<Long> values = new ArrayList<>();
        for (long v = from; v <= to; v++) {
            values.add(v);
        }
        return values;
    }

    private List<Long> versions(StreamId stream) throws SQLException {
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT stream_version FROM " + database.schema()
                        + ".events WHERE stream_id = ? ORDER BY stream_version")) {
            query.setString(1, stream.value());
            List<Long> versions = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    versions.add(rows.getLong(1));
                }
            }
            return versions;
        }
    }

    private long count(String sql) throws SQLException {
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement(sql.formatted(database.schema()));
                ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
