package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.DuplicateEventException;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.StreamId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Appends one stream's batch with a single call of {@code append_to_stream}: the whole batch travels as arrays in one
 * round trip, and the function checks the expected version, inserts and queues the commit for sequencing.
 */
public final class Appender {
    private final EventStoreSql sql;
    private final EventCodec codec;

    public Appender(EventStoreSql sql, EventCodec codec) {
        this.sql = sql;
        this.codec = codec;
    }

    /** Appends {@code append} on {@code connection}, in its transaction if one is open, else as one statement. */
    public AppendResult append(Connection connection, StreamAppend append) {
        return append(connection, encode(append));
    }

    /**
     * Serializes {@code append} into the arrays {@code append_to_stream} takes. Done by the appending thread before it
     * joins a {@link GroupCommit}, so that a group's writer only joins strings.
     */
    public Encoded encode(StreamAppend append) {
        List<NewEvent> events = append.events();
        int n = events.size();
        // Every array travels as text[] (the SQL casts the ids): pgjdbc encodes a String[] straight away, where
        // createArrayOf("uuid", ...) looked the type up in its cache for each array, a quarter of the append's CPU.
        String[] ids = new String[n];
        String[] types = new String[n];
        String[] correlationIds = new String[n];
        String[] causationIds = new String[n];
        String[] sources = new String[n];
        // Payloads and metadata travel as one JSON array each: the serialized documents joined, no escaping.
        StringBuilder data = new StringBuilder(n * 300).append('[');
        StringBuilder metadata = new StringBuilder(n * 8).append('[');
        Set<UUID> seen = n > 1 ? new HashSet<>() : Set.of();
        for (int i = 0; i < n; i++) {
            NewEvent event = events.get(i);
            if (n > 1 && !seen.add(event.eventId())) {
                throw new DuplicateEventException(event.eventId(), "it appears twice in one append");
            }
            if (i > 0) {
                data.append(',');
                metadata.append(',');
            }
            ids[i] = event.eventId().toString();
            types[i] = event.type();
            data.append(codec.payload(event));
            String eventMetadata = codec.metadata(event);
            metadata.append(eventMetadata == null ? "null" : eventMetadata);
            correlationIds[i] = text(event.correlationId());
            causationIds[i] = text(event.causationId());
            sources[i] = event.source();
        }
        data.append(']');
        metadata.append(']');
        return new Encoded(
                append, ids, types, data.toString(), metadata.toString(), correlationIds, causationIds, sources);
    }

    /** Appends an encoded append on {@code connection}, in its transaction if one is open, else as one statement. */
    public AppendResult append(Connection connection, Encoded append) {
        // Plain JDBC: Jdbi's per-statement binding, logging and cleanup machinery cost more client CPU than the rest
        // of the append together (JFR, 16 writers). pgjdbc still prepares the statement on the server after a few
        // calls and keeps it per connection.
        try (PreparedStatement call = connection.prepareStatement(sql.append)) {
            call.setString(1, append.append().streamId().value());
            call.setLong(2, expectedVersionCode(append.append().expectedVersion()));
            call.setObject(3, append.ids);
            call.setObject(4, append.types);
            call.setString(5, append.data);
            call.setString(6, append.metadata);
            call.setObject(7, append.correlationIds);
            call.setObject(8, append.causationIds);
            call.setObject(9, append.sources);
            try (ResultSet row = call.executeQuery()) {
                row.next();
                return result(append.append().streamId(), row);
            }
        } catch (SQLException e) {
            throw SqlErrors.translateAppend(e, append.append());
        }
    }

    /**
     * Appends every append of {@code group} in one statement ({@code append_to_streams}), each as {@link
     * #append(Connection, Encoded)} would, on a connection in autocommit: one transaction for all of them. The streams
     * must differ; the statement fails (and writes nothing) unless every append's checks pass.
     *
     * @param lockTimeout how long the group may wait for a stream row another transaction holds (PostgreSQL's {@code
     *     lock_timeout} syntax)
     * @return one result per append, in the order given
     * @throws SQLException whatever failed; nothing of the group was written
     */
    public List<AppendResult> appendGroup(Connection connection, List<Encoded> group, String lockTimeout)
            throws SQLException {
        int size = group.size();
        int events = 0;
        for (Encoded append : group) {
            events += append.events();
        }
        String[] streams = new String[size];
        Long[] expected = new Long[size];
        Integer[] counts = new Integer[size];
        String[] ids = new String[events];
        String[] types = new String[events];
        String[] correlationIds = new String[events];
        String[] causationIds = new String[events];
        String[] sources = new String[events];
        StringBuilder data = new StringBuilder(events * 300).append('[');
        StringBuilder metadata = new StringBuilder(events * 8).append('[');
        int at = 0;
        for (int i = 0; i < size; i++) {
            Encoded append = group.get(i);
            int n = append.events();
            streams[i] = append.append().streamId().value();
            expected[i] = expectedVersionCode(append.append().expectedVersion());
            counts[i] = n;
            System.arraycopy(append.ids, 0, ids, at, n);
            System.arraycopy(append.types, 0, types, at, n);
            System.arraycopy(append.correlationIds, 0, correlationIds, at, n);
            System.arraycopy(append.causationIds, 0, causationIds, at, n);
            System.arraycopy(append.sources, 0, sources, at, n);
            at += n;
            if (i > 0) {
                data.append(',');
                metadata.append(',');
            }
            // One flat array of every event's document: each append's array without its brackets.
            data.append(append.data, 1, append.data.length() - 1);
            metadata.append(append.metadata, 1, append.metadata.length() - 1);
        }
        data.append(']');
        metadata.append(']');
        try (PreparedStatement call = connection.prepareStatement(sql.appendGroup)) {
            call.setObject(1, streams);
            call.setObject(2, expected);
            call.setObject(3, counts);
            call.setObject(4, ids);
            call.setObject(5, types);
            call.setString(6, data.toString());
            call.setString(7, metadata.toString());
            call.setObject(8, correlationIds);
            call.setObject(9, causationIds);
            call.setObject(10, sources);
            call.setString(11, lockTimeout);
            List<AppendResult> results = new ArrayList<>(size);
            try (ResultSet rows = call.executeQuery()) {
                for (Encoded append : group) {
                    if (!rows.next()) {
                        throw new SQLException(
                                "append_to_streams returned " + results.size() + " rows for " + size + " appends");
                    }
                    results.add(result(append.append().streamId(), rows));
                }
            }
            return results;
        }
    }

    private static AppendResult result(StreamId stream, ResultSet row) throws SQLException {
        return new AppendResult(stream, row.getLong(1), row.getLong(2), row.getLong(3));
    }

    /**
     * An append serialized for {@code append_to_stream}: its events' ids, types, correlation and causation ids and
     * sources as text arrays, and their payloads and metadata as one JSON array each.
     */
    public static final class Encoded {
        private final StreamAppend append;
        private final String[] ids;
        private final String[] types;
        private final String data;
        private final String metadata;
        private final @Nullable String[] correlationIds;
        private final @Nullable String[] causationIds;
        private final @Nullable String[] sources;

        Encoded(
                StreamAppend append,
                String[] ids,
                String[] types,
                String data,
                String metadata,
                @Nullable String[] correlationIds,
                @Nullable String[] causationIds,
                @Nullable String[] sources) {
            this.append = append;
            this.ids = ids;
            this.types = types;
            this.data = data;
            this.metadata = metadata;
            this.correlationIds = correlationIds;
            this.causationIds = causationIds;
            this.sources = sources;
        }

        /** {@return the append this encodes} */
        public StreamAppend append() {
            return append;
        }

        int events() {
            return ids.length;
        }
    }

    /** Soft-deletes {@code stream} on {@code connection} (see delete_stream), if {@code expected} holds. */
    public void deleteStream(Connection connection, StreamId stream, ExpectedVersion expected) {
        try (PreparedStatement call = connection.prepareStatement(sql.deleteStream)) {
            call.setString(1, stream.value());
            call.setLong(2, expectedVersionCode(expected));
            try (ResultSet row = call.executeQuery()) {
                row.next();
            }
        } catch (SQLException e) {
            throw SqlErrors.translateDelete(e, stream, expected);
        }
    }

    private static @Nullable String text(@Nullable UUID id) {
        return id == null ? null : id.toString();
    }

    /** The code append_to_stream takes: -1 any, -2 no stream, -3 stream exists, n exactly n. */
    static long expectedVersionCode(ExpectedVersion expected) {
        if (expected instanceof ExpectedVersion.Any) {
            return -1;
        } else if (expected instanceof ExpectedVersion.NoStream) {
            return -2;
        } else if (expected instanceof ExpectedVersion.StreamExists) {
            return -3;
        } else if (expected instanceof ExpectedVersion.Exactly exactly) {
            return exactly.version();
        }
        throw new AssertionError("unknown expected version " + expected);
    }
}
