package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;
import org.jspecify.annotations.Nullable;

/**
 * Reads streams and the global order. Large pages of the global order overlap fetching with decoding (see {@link
 * PipelinedFetch}), so {@link #close()} stops its fetch threads. Stream reads stay one plain query: callers often ask
 * for far more events than a stream holds, and a cursor would cost every small read a round trip.
 */
public final class EventReader implements AutoCloseable {
    private final EventStoreSql sql;
    private final EventCodec codec;
    private final PipelinedFetch fetch;

    public EventReader(EventStoreSql sql, EventCodec codec) {
        this.sql = sql;
        this.codec = codec;
        this.fetch = new PipelinedFetch(sql.schema());
    }

    /**
     * A page of a stream, forward from {@code from} or backward from it. Events committed but not yet ordered come
     * back without a position; then this sequences them and reads again, so every event returned has its position.
     */
    public List<RecordedEvent> readStream(
            Handle handle, Sequencer sequencer, StreamId stream, long from, int max, boolean forward) {
        List<StoredEvent> page = streamPage(handle.getConnection(), stream, from, max, forward);
        if (page.stream().anyMatch(e -> e.position() == 0)) {
            sequencer.sequence(handle);
            page = streamPage(handle.getConnection(), stream, from, max, forward);
        }
        List<RecordedEvent> events = new ArrayList<>(page.size());
        for (StoredEvent row : page) {
            codec.decode(row, events::add);
        }
        return events;
    }

    /** Plain JDBC: Jdbi's result iteration was a measurable part of a 1,000-event read's client CPU. */
    private List<StoredEvent> streamPage(Connection connection, StreamId stream, long from, int max, boolean forward) {
        try (PreparedStatement query =
                connection.prepareStatement(forward ? sql.readStreamForward : sql.readStreamBackward)) {
            query.setString(1, stream.value());
            query.setLong(2, from);
            query.setInt(3, max);
            try (ResultSet rows = query.executeQuery()) {
                EventCodec.RowCopier copier = codec.rowCopier();
                List<StoredEvent> page = new ArrayList<>();
                while (rows.next()) {
                    page.add(copier.copy(rows));
                }
                return page;
            }
        } catch (SQLException e) {
            throw new EventStoreAccessException("could not read stream '" + stream + "'", e);
        }
    }

    private List<RecordedEvent> readPipelined(Handle handle, Query query, int max) {
        List<RecordedEvent> events = new ArrayList<>(Math.min(max, 1_024));
        fetch.fetch(handle, query, max, codec, row -> codec.decode(row, events::add));
        return events;
    }

    public long streamVersion(Handle handle, StreamId stream) {
        return handle.createQuery(sql.streamVersion)
                .bind("stream", stream.value())
                .mapTo(Long.class)
                .findOne()
                .orElse(0L);
    }

    /** The page of {@link #readAll} that ends at position {@code to} at the latest; {@code to >= from}. */
    public List<RecordedEvent> readAllUpTo(Handle handle, long from, long to, int max, EventFilter filter) {
        if (filter.isAll()) {
            // Unfiltered pages are bounded by position already: asking for no more than up to `to` is the bound.
            return readAll(handle, from, (int) Math.min(max, to - from + 1), filter);
        }
        return readFiltered(handle, sql.readAllFilteredUpTo(filter), from, max, filter, to);
    }

    public List<RecordedEvent> readAll(Handle handle, long from, int max, EventFilter filter) {
        if (filter.isAll()) {
            Query query = handle.createQuery(sql.readAllPage).bind("from", from).bind("max", max);
            return inPositionOrder(readPipelined(handle, query, max));
        }
        return readFiltered(handle, sql.readAllFiltered(filter), from, max, filter, null);
    }

    private List<RecordedEvent> readFiltered(
            Handle handle, String statement, long from, int max, EventFilter filter, @Nullable Long to) {
        Query query = handle.createQuery(statement).bind("from", from).bind("max", max);
        if (to != null) {
            query.bind("to", to.longValue());
        }
        if (!filter.types().isEmpty()) {
            query.bind("types", filter.types().toArray(String[]::new));
        }
        if (!filter.categories().isEmpty()) {
            query.bind("categories", filter.categories().toArray(String[]::new));
        }
        return readPipelined(handle, query, max);
    }

    /**
     * The unfiltered page's SQL orders by commit only; each commit's events arrive in order because its LATERAL index
     * scan yields them so, which SQL does not promise. Checking costs a pass over the page, and the sort never runs
     * unless a plan ever breaks that order.
     */
    private static List<RecordedEvent> inPositionOrder(List<RecordedEvent> page) {
        for (int i = 1; i < page.size(); i++) {
            if (page.get(i).position() <= page.get(i - 1).position()) {
                page.sort(Comparator.comparingLong(RecordedEvent::position));
                return page;
            }
        }
        return page;
    }

    public Optional<Long> positionOf(Handle handle, long commitId) {
        return handle.createQuery(sql.positionOf)
                .bind("commitId", commitId)
                .mapTo(Long.class)
                .findOne();
    }

    @Override
    public void close() {
        fetch.close();
    }
}
