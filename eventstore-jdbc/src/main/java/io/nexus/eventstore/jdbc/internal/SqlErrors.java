package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.DuplicateEventException;
import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.EventStoreException;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.WrongExpectedVersionException;
import java.sql.SQLException;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Turns driver and Jdbi exceptions into the store's typed exceptions, by SQLSTATE and by our own named constraints
 * only; message text is never parsed.
 */
public final class SqlErrors {
    /** Raised by append_to_stream: wrong expected version; DETAIL holds the actual version. */
    static final String WRONG_EXPECTED_VERSION = "NX001";
    /** Raised by append_to_stream: an event id is stored already; DETAIL holds it. */
    static final String DUPLICATE_EVENT = "NX002";
    /** Raised by the events trigger on UPDATE, DELETE and TRUNCATE. */
    public static final String APPEND_ONLY = "NX003";

    private SqlErrors() {}

    /** The typed exception for a failed call of append_to_stream for {@code append}. */
    static EventStoreException translateAppend(SQLException e, StreamAppend append) {
        if (e instanceof PSQLException psql && psql.getServerErrorMessage() != null) {
            ServerErrorMessage server = psql.getServerErrorMessage();
            String state = String.valueOf(psql.getSQLState());
            String detail = server.getDetail();
            if (state.equals(WRONG_EXPECTED_VERSION) && detail != null) {
                return new WrongExpectedVersionException(
                        append.streamId(), append.expectedVersion(), Long.parseLong(detail));
            }
            if (state.equals(DUPLICATE_EVENT)) {
                UUID id = detail == null || detail.equals("unknown")
                        ? append.events().get(0).eventId()
                        : UUID.fromString(detail);
                return new DuplicateEventException(id, "it was stored by another append, or with other content");
            }
            if (state.equals("23505") && "events_event_id_key".equals(server.getConstraint())) {
                return new DuplicateEventException(
                        append.events().get(0).eventId(), "a concurrent append stored one of the batch's ids first");
            }
            if (state.equals("22P02") || state.startsWith("2202")) {
                return new EventSerializationException(append.events().get(0).type(),
                        "the database refused a payload of stream '" + append.streamId() + "' as JSON", e);
            }
        }
        return new EventStoreAccessException("could not append to stream '" + append.streamId() + "'", e);
    }

    /** The typed exception for any other failure: the store is unreachable or failed. */
    public static EventStoreException translate(String action, RuntimeException e) {
        if (e instanceof EventStoreException typed) {
            return typed;
        }
        return new EventStoreAccessException(action, e);
    }

    /** The SQLSTATE of the first {@link SQLException} in {@code e}'s causes, if any. */
    public static @Nullable String sqlState(Throwable e) {
        SQLException sql = sqlException(e);
        return sql == null ? null : sql.getSQLState();
    }

    private static @Nullable SQLException sqlException(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return sql;
            }
        }
        return null;
    }
}
