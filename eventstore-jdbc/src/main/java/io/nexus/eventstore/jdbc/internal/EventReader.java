package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamDeletedException;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.StreamTruncatedException;
import io.nexus.eventstore.jdbc.SequencerStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;
import org.jspecify.annotations.Nullable;

/**
 * Reads streams and the global order. Large pages of the global order overlap fetching with decoding (see {@link
 * PipelinedFetch}), and large batches of rows decode on two threads (see {@link PageDecoder}), so {@link #close()}
 * stops their threads. Stream reads stay one plain query: callers often ask for far more events than a stream holds,
 * and a cursor would cost every small read a round trip.
 */
public final class EventReader implements AutoCloseable {
    private final EventStoreSql sql;
    private final EventCodec codec;
    private final PipelinedFetch fetch;
    private final PageDecoder decoder;

    public EventReader(EventStoreSql sql, EventCodec codec) {
        this.sql = sql;
        this.codec = codec;
        this.fetch = new PipelinedFetch(sql.schema());
        this.decoder = new PageDecoder(codec, sql.schema());
    }

    /**
     * A page of a stream, forward from {@code from} or backward from it. Events committed but not yet ordered come
     * back without a position; then this sequences them and reads again, so every event returned has its position.
     */
    public List<RecordedEvent> readStream(
            Handle handle, Sequencer sequencer, StreamId stream, long from, int max, boolean forward) {
        List<StoredEvent> page = streamPage(handle.getConnection(), stream, from, max, forward);
        if (page.isEmpty()) {
            refuseIfDeleted(handle.getConnection(), stream);
        }
        if (page.stream().anyMatch(e -> e.position() == 0)) {
            sequencer.sequence(handle);
            page = streamPage(handle.getConnection(), stream, from, max, forward);
        }
        if (forward) {
            checkNotTruncated(handle.getConnection(), stream, from, page);
        }
        return decoder.decode(page);
    }

    /**
     * A stream's versions have no holes, so a forward page that does not start at {@code from} (or is empty) is the
     * only case where retention can have removed what was asked for: only then is {@code stream_truncations} read.
     */
    private void checkNotTruncated(Connection connection, StreamId stream, long from, List<StoredEvent> page) {
        long wanted = Math.max(from, 1);
        if (!page.isEmpty() && page.get(0).streamVersion() == wanted) {
            return;
        }
        try (PreparedStatement query = connection.prepareStatement(sql.streamFirstVersion)) {
            query.setString(1, stream.value());
            try (ResultSet rows = query.executeQuery()) {
                if (rows.next() && rows.getLong(1) > wanted) {
                    throw new StreamTruncatedException(stream, wanted, rows.getLong(1));
                }
            }
        } catch (SQLException e) {
            throw new EventStoreAccessException("could not read stream '" + stream + "'", e);
        }
    }

    /** Plain JDBC: Jdbi's result iteration was a measurable part of a 1,000-event read's client CPU. */
    private List<StoredEvent> streamPage(Connection connection, StreamId stream, long from, int max, boolean forward) {
        try (PreparedStatement query =
                connection.prepareStatement(forward ? sql.readStreamForward : sql.readStreamBackward)) {
            query.setString(1, stream.value());
            query.setLong(2, from);
            query.setString(3, stream.value());
            query.setInt(4, max);
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
        fetch.fetch(handle, query, max, codec, chunk -> events.addAll(decoder.decode(chunk)));
        return events;
    }

    /** Throws {@link StreamDeletedException} if {@code stream} has a tombstone. */
    private void refuseIfDeleted(Connection connection, StreamId stream) {
        try (PreparedStatement query = connection.prepareStatement(sql.tombstone)) {
            query.setString(1, stream.value());
            try (ResultSet row = query.executeQuery()) {
                if (row.next()) {
                    throw deleted(stream, row, 1);
                }
            }
        } catch (SQLException e) {
            throw new EventStoreAccessException("could not read stream '" + stream + "'", e);
        }
    }

    /** The version of {@code stream}: 0 when it does not exist; throws {@link StreamDeletedException} if deleted. */
    public long streamVersion(Handle handle, StreamId stream) {
        try (PreparedStatement query = handle.getConnection().prepareStatement(sql.streamVersion)) {
            query.setString(1, stream.value());
            try (ResultSet row = query.executeQuery()) {
                if (!row.next()) {
                    return 0;
                }
                if (row.getObject(3) != null) {
                    throw deleted(stream, row, 2);
                }
                return row.getLong(1);
            }
        } catch (SQLException e) {
            throw new EventStoreAccessException("could not read the version of stream '" + stream + "'", e);
        }
    }

    /** The exception for a tombstone whose deleted_version and deleted_at are at {@code column} and the next. */
    static StreamDeletedException deleted(StreamId stream, ResultSet row, int column) throws SQLException {
        return new StreamDeletedException(
                stream,
                row.getLong(column),
                row.getObject(column + 1, OffsetDateTime.class).toInstant());
    }

    /** The page of {@link #readAll} that ends at position {@code to} at the latest; {@code to >= from}. */
    public List<RecordedEvent> readAllUpTo(Handle handle, long from, long to, int max, EventFilter filter) {
        return readPage(handle, sql.readAllPageUpTo(filter), from, max, filter, to);
    }

    /** How many positions in {@code from..to} (at most the head) retention removed. */
    public long removedEvents(Handle handle, long from, long to) {
        if (to < from) {
            return 0;
        }
        // Asked for every page a subscriber reads: the count runs only where retention has removed something.
        long maxRemoved =
                handle.createQuery(sql.maxRemovedPosition).mapTo(Long.class).one();
        if (maxRemoved < from) {
            return 0;
        }
        long present = handle.createQuery(sql.presentEvents)
                .bind("from", from)
                .bind("to", to)
                .mapTo(Long.class)
                .one();
        return (to - from + 1) - present;
    }

    /** Up to {@code max} events matching {@code filter} from position {@code from} on, walking past removed ones. */
    public List<RecordedEvent> readAll(Handle handle, long from, int max, EventFilter filter) {
        return readPage(handle, sql.readAllPage(filter), from, max, filter, null);
    }

    private List<RecordedEvent> readPage(
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

    public Optional<Long> positionOf(Handle handle, long commitId) {
        return handle.createQuery(sql.positionOf)
                .bind("commitId", commitId)
                .mapTo(Long.class)
                .findOne();
    }

    /** The sequencer's last position as committed, read without sequencing. */
    public long orderedHead(Handle handle) {
        return handle.createQuery(sql.orderedHead).mapTo(Long.class).one();
    }

    /**
     * The sequencer's last position and how long the oldest committed event without a position has waited (since its
     * transaction started), read without sequencing.
     */
    public SequencerStatus sequencerStatus(Handle handle) {
        return handle.createQuery(sql.sequencerStatus)
                .map((row, ctx) -> {
                    long head = row.getLong(1);
                    double seconds = row.getDouble(2);
                    return new SequencerStatus(
                            head,
                            row.wasNull()
                                    ? Optional.empty()
                                    : Optional.of(Duration.ofMillis(Math.round(seconds * 1000))));
                })
                .one();
    }

    @Override
    public void close() {
        fetch.close();
        decoder.close();
    }
}
