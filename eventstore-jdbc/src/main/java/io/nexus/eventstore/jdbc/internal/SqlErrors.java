package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.DuplicateEventException;
import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.EventStoreException;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.SchemaNotMigratedException;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.StreamDeletedException;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.WrongExpectedVersionException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.ConnectionException;
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
    /** Raised by append_to_stream and delete_stream: the stream is deleted; DETAIL holds version/microseconds. */
    static final String STREAM_DELETED = "NX004";
    /** Raised by the events trigger on UPDATE, DELETE and TRUNCATE. */
    public static final String APPEND_ONLY = "NX003";
    /** invalid_schema_name, undefined_table, undefined_function: on our statements, a schema never migrated. */
    private static final Set<String> NOT_MIGRATED = Set.of("3F000", "42P01", "42883");

    private SqlErrors() {}

    /** The event id a unique violation's DETAIL names, if it is one of the append's; else the append's first. */
    private static UUID idInDetail(@Nullable String detail, StreamAppend append) {
        for (var event : append.events()) {
            if (detail != null && detail.contains(event.eventId().toString())) {
                return event.eventId();
            }
        }
        return append.events().get(0).eventId();
    }

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
            if (state.equals(STREAM_DELETED) && detail != null) {
                return streamDeleted(append.streamId(), detail);
            }
            if (state.equals(DUPLICATE_EVENT)) {
                UUID id = detail == null || detail.equals("unknown")
                        ? append.events().get(0).eventId()
                        : UUID.fromString(detail);
                return new DuplicateEventException(id, "it was stored by another append, or with other content");
            }
            if (state.equals("23505") && "events_event_id_key".equals(server.getConstraint())) {
                // An append that creates its stream, or one racing another stream's append of the same id: the
                // unique index refused the id, and its DETAIL names it ("Key (event_id)=(<id>) already exists.").
                return new DuplicateEventException(
                        idInDetail(detail, append), "it was stored by another append, or with other content");
            }
            if (state.equals("22P02") || state.startsWith("2202")) {
                return new EventSerializationException(
                        append.events().get(0).type(),
                        "the database refused a payload of stream '" + append.streamId() + "' as JSON",
                        e);
            }
        }
        return new EventStoreAccessException("could not append to stream '" + append.streamId() + "'", e);
    }

    /** The typed exception for a failed call of delete_stream for {@code stream}. */
    static EventStoreException translateDelete(SQLException e, StreamId stream, ExpectedVersion expected) {
        if (e instanceof PSQLException psql && psql.getServerErrorMessage() != null) {
            String state = String.valueOf(psql.getSQLState());
            String detail = psql.getServerErrorMessage().getDetail();
            if (state.equals(WRONG_EXPECTED_VERSION) && detail != null) {
                return new WrongExpectedVersionException(stream, expected, Long.parseLong(detail));
            }
            if (state.equals(STREAM_DELETED) && detail != null) {
                return streamDeleted(stream, detail);
            }
        }
        return new EventStoreAccessException("could not delete stream '" + stream + "'", e);
    }

    /** NX004's DETAIL is {@code <deleted version>/<deleted at, microseconds since 1970>}: our own format, not text. */
    private static StreamDeletedException streamDeleted(StreamId stream, String detail) {
        int slash = detail.indexOf('/');
        long micros = Long.parseLong(detail.substring(slash + 1));
        Instant at =
                Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
        return new StreamDeletedException(stream, Long.parseLong(detail.substring(0, slash)), at);
    }

    /** The typed exception for any other failure: the store is unreachable or failed. */
    public static EventStoreException translate(String action, RuntimeException e) {
        if (e instanceof EventStoreException typed) {
            return typed;
        }
        return new EventStoreAccessException(action, e);
    }

    /**
     * The typed exception for a failure of the store on {@code schema}: {@link SchemaNotMigratedException} when the
     * schema or one of its objects is missing, an {@link EventStoreAccessException} naming {@code location} when the
     * database could not be reached, and otherwise as {@link #translate(String, RuntimeException)}.
     */
    public static EventStoreException translate(String action, Exception e, String schema, DatabaseLocation location) {
        SQLException sql = sqlException(e);
        String state = sql == null ? null : sql.getSQLState();
        // Every statement of the store names only its own schema's objects (and pg_catalog's): if one is missing, the
        // schema was never migrated or is older than this code.
        if (sql != null && state != null && NOT_MIGRATED.contains(state)) {
            return new SchemaNotMigratedException(schema, location.describe(), sql);
        }
        if (isUnreachable(e, state)) {
            Throwable cause = sql == null ? e : sql;
            Throwable root = cause;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String why = root == cause ? "" : " (" + root.getMessage() + ")";
            return new EventStoreAccessException(action + ": cannot connect to " + location.describe() + why, cause);
        }
        if (e instanceof EventStoreException typed) {
            return typed;
        }
        return new EventStoreAccessException(action, e);
    }

    /**
     * Whether {@code e} says the database could not be reached or let us in: no connection from the pool or the
     * driver, a connection lost, the server shutting down or full, a login refused, or no such database.
     */
    private static boolean isUnreachable(Exception e, @Nullable String state) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectionException
                    || t instanceof SQLTransientConnectionException
                    || t instanceof SQLNonTransientConnectionException) {
                return true;
            }
        }
        return state != null
                && (state.startsWith("08")
                        || state.startsWith("28")
                        || state.startsWith("57P")
                        || state.equals("53300")
                        || state.equals("3D000"));
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
