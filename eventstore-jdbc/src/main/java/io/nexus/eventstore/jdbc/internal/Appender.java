package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.DuplicateEventException;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamAppend;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.JdbiException;

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

    /** Appends {@code append} on {@code handle}, in its transaction if one is open, else as one statement. */
    public AppendResult append(Handle handle, StreamAppend append) {
        List<NewEvent> events = append.events();
        int n = events.size();
        UUID[] ids = new UUID[n];
        String[] types = new String[n];
        UUID[] correlationIds = new UUID[n];
        UUID[] causationIds = new UUID[n];
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
            ids[i] = event.eventId();
            types[i] = event.type();
            data.append(codec.payload(event));
            String eventMetadata = codec.metadata(event);
            metadata.append(eventMetadata == null ? "null" : eventMetadata);
            correlationIds[i] = event.correlationId();
            causationIds[i] = event.causationId();
            sources[i] = event.source();
        }
        data.append(']');
        metadata.append(']');
        try {
            return handle.createQuery(sql.append)
                    .bind("stream", append.streamId().value())
                    .bind("expected", expectedVersionCode(append.expectedVersion()))
                    .bind("ids", ids)
                    .bind("types", types)
                    .bind("data", data.toString())
                    .bind("metadata", metadata.toString())
                    .bind("correlationIds", correlationIds)
                    .bind("causationIds", causationIds)
                    .bind("sources", sources)
                    .map((rs, ctx) -> new AppendResult(append.streamId(), rs.getLong(1), rs.getLong(2), rs.getLong(3)))
                    .one();
        } catch (JdbiException e) {
            throw SqlErrors.translateAppend(e, append);
        }
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
