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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Appends one stream's batch in one round trip, the whole batch as arrays. A new stream's append and one at an exact
 * version run as one SQL statement ({@link EventStoreSql#appendNewStream}); every other kind, and those two when their
 * expected version does not hold, call {@code append_to_stream}, which checks, reports and recognises re-sends.
 */
public final class Appender {
    private static final long NO_STREAM = -2;

    private final EventStoreSql sql;
    private final EventCodec codec;

    public Appender(EventStoreSql sql, EventCodec codec) {
        this.sql = sql;
        this.codec = codec;
    }

    /** Appends {@code append} on {@code connection}, in its transaction if one is open, else as one statement. */
    public AppendResult append(Connection connection, StreamAppend append) {
        EventColumns columns = new EventColumns(append.events(), codec);
        long expected = expectedVersionCode(append.expectedVersion());
        String stream = append.streamId().value();
        // Plain JDBC: Jdbi's per-statement binding, logging and cleanup machinery cost more client CPU than the rest
        // of the append together (JFR, 16 writers). pgjdbc still prepares the statements on the server after a few
        // calls and keeps them per connection.
        try {
            if (expected == NO_STREAM || expected > 0) {
                AppendResult done = appendInOneStatement(connection, append, expected, columns);
                if (done != null) {
                    return done;
                }
                // The expected version did not hold and nothing was written: the function says why, or finds a re-send.
            }
            try (PreparedStatement call = connection.prepareStatement(sql.append)) {
                call.setString(1, stream);
                call.setLong(2, expected);
                columns.bind(call, 3);
                try (ResultSet row = call.executeQuery()) {
                    row.next();
                    return new AppendResult(append.streamId(), row.getLong(1), row.getLong(2), row.getLong(3));
                }
            }
        } catch (SQLException e) {
            throw SqlErrors.translateAppend(e, append);
        }
    }

    /**
     * A new stream's append or one at an exact version, as one statement (see {@link EventStoreSql#appendNewStream});
     * null when its expected version did not hold, and then it wrote nothing.
     */
    private @Nullable AppendResult appendInOneStatement(
            Connection connection, StreamAppend append, long expected, EventColumns columns) throws SQLException {
        boolean newStream = expected == NO_STREAM;
        String stream = append.streamId().value();
        try (PreparedStatement statement =
                connection.prepareStatement(newStream ? sql.appendNewStream : sql.appendAtVersion)) {
            int next = 1;
            if (newStream) {
                statement.setString(next++, stream);
                statement.setInt(next++, columns.count);
            } else {
                statement.setLong(next++, expected);
                statement.setInt(next++, columns.count);
                statement.setString(next++, stream);
            }
            statement.setString(next++, stream);
            columns.bind(statement, next);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                long firstVersion = row.getLong(1);
                return row.wasNull()
                        ? null
                        : new AppendResult(append.streamId(), firstVersion, row.getLong(2), row.getLong(3));
            }
        }
    }

    /**
     * An append's events as the statements take them. Every array travels as text[] (the SQL casts the ids): pgjdbc
     * encodes a String[] straight away, where createArrayOf("uuid", ...) looked the type up in its cache for each
     * array, a quarter of the append's CPU. Payloads and metadata travel as one JSON array each: the serialized
     * documents joined, no escaping.
     */
    private static final class EventColumns {
        final int count;
        private final String[] ids;
        private final String[] types;
        private final String data;
        private final String metadata;
        private final String[] correlationIds;
        private final String[] causationIds;
        private final String[] sources;

        EventColumns(List<NewEvent> events, EventCodec codec) {
            int n = events.size();
            this.count = n;
            this.ids = new String[n];
            this.types = new String[n];
            this.correlationIds = new String[n];
            this.causationIds = new String[n];
            this.sources = new String[n];
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
            this.data = data.append(']').toString();
            this.metadata = metadata.append(']').toString();
        }

        /** Binds ids, types, data, metadata, correlations, causations and sources from parameter {@code first} on. */
        void bind(PreparedStatement statement, int first) throws SQLException {
            statement.setObject(first, ids);
            statement.setObject(first + 1, types);
            statement.setString(first + 2, data);
            statement.setString(first + 3, metadata);
            statement.setObject(first + 4, correlationIds);
            statement.setObject(first + 5, causationIds);
            statement.setObject(first + 6, sources);
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
