package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * A read model that makes lost and doubled events visible: a count per stream, and every applied event id under a
 * primary key (a second application of one event fails the batch). Optionally slow, so that kills land inside its
 * transactions.
 */
final class CountingProjection implements Projection {
    private final String name;
    private final String counts;
    private final String applied;
    private final long sleepMillisPerBatch;

    CountingProjection(String name, long sleepMillisPerBatch) {
        this.name = name;
        this.counts = name + "_counts";
        this.applied = name + "_applied";
        this.sleepMillisPerBatch = sleepMillisPerBatch;
    }

    CountingProjection(String name) {
        this(name, 0);
    }

    static String uniqueName(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    }

    CountingProjection createTables(Jdbi jdbi) {
        jdbi.useHandle(handle -> {
            handle.execute("CREATE TABLE IF NOT EXISTS public." + counts
                    + " (stream_id text PRIMARY KEY, events bigint NOT NULL)");
            handle.execute("CREATE TABLE IF NOT EXISTS public." + applied
                    + " (event_id uuid PRIMARY KEY, position bigint NOT NULL UNIQUE)");
            if (handle.isInTransaction()) {
                handle.commit(); // a pool without autocommit hands out transactions: it would roll the tables back
            }
        });
        return this;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void apply(Handle handle, RecordedEvent event) {
        applyBatch(handle, List.of(event));
    }

    @Override
    public void applyBatch(Handle handle, List<RecordedEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        PreparedBatch ids =
                handle.prepareBatch("INSERT INTO public." + applied + " (event_id, position) VALUES (:id, :position)");
        PreparedBatch upserts = handle.prepareBatch("INSERT INTO public." + counts + " (stream_id, events)"
                + " VALUES (:stream, 1) ON CONFLICT (stream_id) DO UPDATE SET events = " + counts + ".events + 1");
        for (RecordedEvent event : events) {
            ids.bind("id", event.eventId()).bind("position", event.position()).add();
            upserts.bind("stream", event.streamId().value()).add();
        }
        ids.execute();
        if (sleepMillisPerBatch > 0) {
            try {
                Thread.sleep(sleepMillisPerBatch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        upserts.execute();
    }

    @Override
    public void reset(Handle handle) {
        handle.execute("DELETE FROM public." + counts);
        handle.execute("DELETE FROM public." + applied);
    }

    long appliedCount(Jdbi jdbi) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT count(*) FROM public." + applied)
                .mapTo(Long.class)
                .one());
    }

    /** Asserts that the read model equals one built by replaying the whole store from scratch, once per event. */
    void assertEqualsFreshReplay(Jdbi jdbi, EventStore store) {
        Map<String, Long> expectedCounts = new HashMap<>();
        Map<UUID, Long> expectedIds = new HashMap<>();
        long from = 1;
        List<RecordedEvent> page;
        do {
            page = store.readAll(from, 1_000);
            for (RecordedEvent event : page) {
                expectedCounts.merge(event.streamId().value(), 1L, Long::sum);
                expectedIds.put(event.eventId(), event.position());
                from = event.position() + 1;
            }
        } while (!page.isEmpty());

        Map<String, Long> actualCounts = new HashMap<>();
        Map<UUID, Long> actualIds = new HashMap<>();
        jdbi.useHandle(handle -> {
            handle.createQuery("SELECT stream_id, events FROM public." + counts)
                    .map((rs, ctx) -> actualCounts.put(rs.getString(1), rs.getLong(2)))
                    .list();
            handle.createQuery("SELECT event_id, position FROM public." + applied)
                    .map((rs, ctx) -> actualIds.put(rs.getObject(1, UUID.class), rs.getLong(2)))
                    .list();
        });

        assertThat(actualIds)
                .as("applied event ids of '%s'", name)
                .hasSize(expectedIds.size())
                .isEqualTo(expectedIds);
        assertThat(actualCounts).as("per-stream counts of '%s'", name).isEqualTo(expectedCounts);
    }

    /** Appends {@code count} events to a few streams of {@code category}, in appends of up to {@code perAppend}. */
    static List<io.nexus.eventstore.core.AppendResult> append(
            EventStore store, String category, int count, int perAppend) {
        List<io.nexus.eventstore.core.AppendResult> results = new ArrayList<>();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int left = count;
        while (left > 0) {
            int n = Math.min(left, random.nextInt(1, perAppend + 1));
            List<NewEvent> events = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                events.add(NewEvent.of("test.counted", RawJson.of("{\"n\":" + i + "}")));
            }
            results.add(store.append(StreamId.of(category, random.nextInt(20)), ExpectedVersion.any(), events));
            left -= n;
        }
        return results;
    }
}
