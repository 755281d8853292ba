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
        // Plain JDBC: Jdbi's per-statement binding, logging and cleanup machinery cost more client CPU than the rest
        // of the append together (JFR, 16 writers). pgjdbc still prepares the statement on the server after a few
        // calls and keeps it per connection.
        try (PreparedStatement call = connection.prepareStatement(sql.append)) {
            call.setString(1, append.streamId().value());
            call.setLong(2, expectedVersionCode(append.expectedVersion()));
            call.setObject(3, ids);
            call.setObject(4, types);
            call.setString(5, data.toString());
            call.setString(6, metadata.toString());
            call.setObject(7, correlationIds);
            call.setObject(8, causationIds);
            call.setObject(9, sources);
            try (ResultSet row = call.executeQuery()) {
                row.next();
                return new AppendResult(append.streamId(), row.getLong(1), row.getLong(2), row.getLong(3));
            }
        } catch (SQLException e) {
            throw SqlErrors.translateAppend(e, append);
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
