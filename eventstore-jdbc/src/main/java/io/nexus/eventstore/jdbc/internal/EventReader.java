package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/** Reads streams and the global order. */
public final class EventReader {
    private final EventStoreSql sql;
    private final EventCodec codec;

    public EventReader(EventStoreSql sql, EventCodec codec) {
        this.sql = sql;
        this.codec = codec;
    }

    /**
     * A page of a stream, forward from {@code from} or backward from it. Events committed but not yet ordered come
     * back without a position; then this sequences them and reads again, so every event returned has its position.
     */
    public List<RecordedEvent> readStream(
            Handle handle, Sequencer sequencer, StreamId stream, long from, int max, boolean forward) {
        List<RecordedEvent> page = queryStream(handle, stream, from, max, forward);
        if (page.stream().anyMatch(e -> e.position() == 0)) {
            sequencer.sequence(handle);
            page = queryStream(handle, stream, from, max, forward);
        }
        return page;
    }

    private List<RecordedEvent> queryStream(Handle handle, StreamId stream, long from, int max, boolean forward) {
        return handle.createQuery(forward ? sql.readStreamForward : sql.readStreamBackward)
                .bind("stream", stream.value())
                .bind("from", from)
                .bind("max", max)
                .map(codec.rowMapper())
                .list();
    }

    public long streamVersion(Handle handle, StreamId stream) {
        return handle.createQuery(sql.streamVersion)
                .bind("stream", stream.value())
                .mapTo(Long.class)
                .findOne()
                .orElse(0L);
    }

    public List<RecordedEvent> readAll(Handle handle, long from, int max, EventFilter filter) {
        Query query = handle.createQuery(sql.readAll(filter))
                .bind("from", from)
                .bind("max", max);
        if (!filter.types().isEmpty()) {
            query.bind("types", filter.types().toArray(String[]::new));
        }
        if (!filter.categories().isEmpty()) {
            query.bind("categories", filter.categories().toArray(String[]::new));
        }
        return query.map(codec.rowMapper()).list();
    }

    public Optional<Long> positionOf(Handle handle, long commitId) {
        return handle.createQuery(sql.positionOf).bind("commitId", commitId).mapTo(Long.class).findOne();
    }
}
