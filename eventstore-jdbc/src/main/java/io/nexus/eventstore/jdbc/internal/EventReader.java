package io.nexus.eventstore.jdbc.internal;

import static java.util.Objects.requireNonNull;

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
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;
import org.jspecify.annotations.Nullable;

/**
 * Reads streams and the global order. Large pages of the global order overlap fetching with decoding (see {@link
 * PipelinedFetch}), and large batches of rows decode on two threads (see {@link PageDecoder}), so {@link #close()}
 * stops their threads. Stream reads and mid-sized global-order pages use no cursor (its transaction's COMMIT would cost
 * every small read a round trip, and callers often ask for far more events than a stream holds): past {@link
 * #STREAM_CHUNK_ROWS} rows they are read as consecutive plain queries, decoded while the next is fetched.
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
     * A page asking for more than {@link #STREAM_CHUNK_ROWS} is fetched in chunks (see {@link #readStreamChunked}).
     */
    public List<RecordedEvent> readStream(
            Handle handle, Sequencer sequencer, StreamId stream, long from, int max, boolean forward) {
        List<StoredEvent> page;
        if (max > STREAM_CHUNK_ROWS) {
            page = streamPage(handle.getConnection(), stream, from, STREAM_CHUNK_ROWS, forward);
            if (page.size() == STREAM_CHUNK_ROWS) { // else the first chunk is the whole page
                List<RecordedEvent> events =
                        readStreamChunked(handle.getConnection(), stream, from, max, forward, page);
                if (events != null) {
                    return events;
                }
                page = streamPage(handle.getConnection(), stream, from, max, forward);
            }
        } else {
            page = streamPage(handle.getConnection(), stream, from, max, forward);
        }
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
     * Rows per query of a large stream read. pgjdbc hands a query's rows over only once it has them all (it streams
     * through a cursor only inside a transaction, whose COMMIT costs every small read a round trip), so a large page
     * read as one query decodes only after its last row arrived: measured on a 1,000-event stream, fetching was
     * about two thirds of the read and decoding, on two threads, the last third. Read as consecutive queries of this
     * many rows, each continuing at the version after the last one read (versions have no holes), the helper decodes
     * each chunk while the next is fetched, and only the last chunk's decoding is left after the fetch.
     */
    static final int STREAM_CHUNK_ROWS = 250;

    /**
     * A stream page read {@link #STREAM_CHUNK_ROWS} at a time from its full {@code first} chunk, decoding each chunk
     * while fetching the next; null when the plain read must decide (a chunk is not ordered yet, or the first is not
     * where the page should start). Each chunk continues at the version after the last one read: a chunk that does
     * not start exactly there (retention removed it, or the stream was deleted, between two chunks) ends the page,
     * which is then the part of the stream read before, without a hole.
     */
    private @Nullable List<RecordedEvent> readStreamChunked(
            Connection connection, StreamId stream, long from, int max, boolean forward, List<StoredEvent> first) {
        if (!ordered(first) || (forward && !startsAt(first, Math.max(from, 1)))) {
            return null;
        }
        return decodeChunked(first, (last, read) -> {
            int wanted = Math.min(STREAM_CHUNK_ROWS, max - read);
            long lastVersion = last.get(last.size() - 1).streamVersion();
            if (last.size() < STREAM_CHUNK_ROWS || wanted == 0 || lastVersion == (forward ? Long.MAX_VALUE : 1)) {
                return List.of();
            }
            long next = forward ? lastVersion + 1 : lastVersion - 1;
            List<StoredEvent> chunk = streamPage(connection, stream, next, wanted, forward);
            if (!startsAt(chunk, next)) {
                return List.of();
            }
            // Not ordered: committed since the first chunk; the plain read sequences it.
            return ordered(chunk) ? chunk : null;
        });
    }

    /** The chunk after {@code read} rows of a chunked read, {@code last} the one before: empty ends it, null abandons it. */
    @FunctionalInterface
    private interface NextChunk {
        @Nullable
        List<StoredEvent> after(List<StoredEvent> last, int read);
    }

    /**
     * Decodes {@code first} and the chunks {@code next} fetches after it, each while the next is fetched (see {@link
     * PageDecoder#chunked()}); null when {@code next} abandons the read.
     */
    private @Nullable List<RecordedEvent> decodeChunked(List<StoredEvent> first, NextChunk next) {
        PageDecoder.Chunked decoding = decoder.chunked();
        boolean finished = false;
        try {
            List<StoredEvent> chunk = first;
            int read = 0;
            while (!chunk.isEmpty()) {
                decoding.add(chunk);
                read += chunk.size();
                chunk = next.after(chunk, read);
                if (chunk == null) {
                    decoding.abandon();
                    finished = true;
                    return null;
                }
            }
            finished = true;
            return decoding.finish();
        } finally {
            if (!finished) {
                decoding.abandon();
            }
        }
    }

    private static boolean ordered(List<StoredEvent> rows) {
        for (StoredEvent row : rows) {
            if (row.position() == 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean startsAt(List<StoredEvent> rows, long version) {
        return !rows.isEmpty() && rows.get(0).streamVersion() == version;
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
        if (filter.isAll()) {
            // Unfiltered pages are bounded by position already: asking for no more than up to `to` is the bound.
            int window = (int) Math.min(max, to - from + 1);
            List<RecordedEvent> page = readAll(handle, from, window, filter);
            if (page.size() == window) {
                return page;
            }
            // Fewer events than positions: retention removed some. The window read assumes dense positions, so the
            // rest of the page comes from the LIMIT read, which walks past holes of any length.
            long next = page.isEmpty() ? from : page.get(page.size() - 1).position() + 1;
            if (next > to) {
                return page;
            }
            List<RecordedEvent> rest =
                    readFiltered(handle, sql.readAllFilteredUpTo(filter), next, max - page.size(), filter, to);
            if (page.isEmpty()) {
                return rest;
            }
            List<RecordedEvent> all = new ArrayList<>(page);
            all.addAll(rest);
            return all;
        }
        return readFiltered(handle, sql.readAllFilteredUpTo(filter), from, max, filter, to);
    }

    /** How many positions in {@code from..to} (at most the head) retention removed. */
    public long removedEvents(Handle handle, long from, long to) {
        if (to < from) {
            return 0;
        }
        return handle.createQuery(sql.removedEvents)
                .bind("from", from)
                .bind("to", to)
                .mapTo(Long.class)
                .one();
    }

    public List<RecordedEvent> readAll(Handle handle, long from, int max, EventFilter filter) {
        if (filter.isAll() && max > STREAM_CHUNK_ROWS && max < PipelinedFetch.MIN_ROWS) {
            return inPositionOrder(readAllChunked(handle.getConnection(), from, max));
        }
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
     * The events at positions {@code from .. from + max - 1}, fetched {@link #STREAM_CHUNK_ROWS} positions a query and
     * decoded while the next chunk is fetched, as {@link #readStreamChunked} does for streams (the cursor of {@link
     * PipelinedFetch} serves larger reads). A chunk with fewer events than positions (the head, or positions retention
     * removed) ends the page early, which callers treat as any short page: they read on up to the head.
     */
    private List<RecordedEvent> readAllChunked(Connection connection, long from, int max) {
        List<StoredEvent> first = window(connection, from, STREAM_CHUNK_ROWS);
        if (first.size() < STREAM_CHUNK_ROWS) {
            return decoder.decode(first);
        }
        List<RecordedEvent> events = decodeChunked(first, (last, read) -> {
            int wanted = Math.min(STREAM_CHUNK_ROWS, max - read);
            return last.size() < STREAM_CHUNK_ROWS || wanted == 0 ? List.of() : window(connection, from + read, wanted);
        });
        return requireNonNull(events, "a global-order read is never abandoned");
    }

    /** The events at positions {@code from .. from + max - 1}, undecoded; plain JDBC, as {@link #streamPage}. */
    private List<StoredEvent> window(Connection connection, long from, int max) {
        try (PreparedStatement query = connection.prepareStatement(sql.readAllWindow)) {
            boolean[] parameters = sql.readAllWindowParameters;
            for (int i = 0; i < parameters.length; i++) {
                if (parameters[i]) {
                    query.setLong(i + 1, from);
                } else {
                    query.setInt(i + 1, max);
                }
            }
            try (ResultSet rows = query.executeQuery()) {
                EventCodec.RowCopier copier = codec.rowCopier();
                List<StoredEvent> page = new ArrayList<>(max);
                while (rows.next()) {
                    page.add(copier.copy(rows));
                }
                return page;
            }
        } catch (SQLException e) {
            throw new EventStoreAccessException("could not read the global order from " + from, e);
        }
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
