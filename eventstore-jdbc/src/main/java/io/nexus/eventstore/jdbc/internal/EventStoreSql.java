package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.EventFilter;

/**
 * The store's SQL, with the schema name substituted once. Schema names are validated before they get here (see
 * {@link #of(String)}), so substitution cannot inject anything.
 */
public final class EventStoreSql {
    private static final String COLUMNS = """
            e.stream_id, e.stream_version, c.first_position + e.commit_index AS position, e.event_id, e.type,
            e.data, e.metadata, e.correlation_id, e.causation_id, e.source, e.recorded_at""";
    /** What the LATERAL scan of one commit's events hands up to {@link #COLUMNS}. */
    private static final String COMMIT_EVENT_COLUMNS = """
            e.stream_id, e.stream_version, e.commit_index, e.event_id, e.type, e.data, e.metadata, e.correlation_id,
            e.causation_id, e.source, e.recorded_at""";

    /**
     * A stream read's guard against a tombstone: it does not depend on the row, so PostgreSQL evaluates it once per
     * read (a one-time filter), one index probe. An empty page then looks for the tombstone to say why.
     */
    private static final String NOT_DELETED = """
            NOT EXISTS (SELECT 1 FROM ${schema}.streams s WHERE s.stream_id = ? AND s.deleted_at IS NOT NULL)""";

    /**
     * A stream read's join to the commit of each event (for its position), kept a nested loop so the rows leave the
     * {@code (stream_id, stream_version)} index scan already in order. As a plain {@code LEFT JOIN} the planner hashed
     * the commits and then sorted the page, payloads and all, before sending its first row: on the benchmark's store
     * (1,000-event stream, EXPLAIN ANALYZE on PostgreSQL 15) 5 to 15 ms against 0.7 to 1.6 ms for this form. The
     * {@code LIMIT 1} (commit_id is the key, so it drops nothing) keeps the subquery from being pulled up into that
     * join; PostgreSQL then probes the commits once per row, memoized by commit_id (a page spans few commits).
     */
    /**
     * The shared tail of {@link #appendNewStream} and {@link #appendAtVersion}: after the CTE {@code stream} (one row,
     * the version before the append, or none), the commit id and the events. Plain JDBC: stream, ids, types, data,
     * metadata, correlations, causations, sources, as {@code append_to_stream} takes them.
     */
    private static final String APPEND_EVENTS = """
            , commit AS MATERIALIZED (
                SELECT nextval('${schema}.commit_id_seq') AS commit_id, s.version FROM stream s
            ), inserted AS (
                INSERT INTO ${schema}.events
                    (commit_id, commit_index, stream_id, stream_version, event_id, type, data, metadata,
                     correlation_id, causation_id, source)
                SELECT c.commit_id, n.ord - 1, ?, c.version + n.ord, n.event_id, n.type, n.data,
                       nullif(n.metadata, 'null'::jsonb), n.correlation_id, n.causation_id, n.source
                FROM commit c
                CROSS JOIN ROWS FROM (unnest(CAST(? AS uuid[])), unnest(CAST(? AS text[])),
                                      jsonb_array_elements(CAST(? AS jsonb)), jsonb_array_elements(CAST(? AS jsonb)),
                                      unnest(CAST(? AS uuid[])), unnest(CAST(? AS uuid[])), unnest(CAST(? AS text[])))
                     WITH ORDINALITY AS n(event_id, type, data, metadata, correlation_id, causation_id, source, ord)
                RETURNING commit_id, stream_version
            )
            SELECT min(i.stream_version), max(i.stream_version), max(i.commit_id) FROM inserted i""";

    private static final String COMMIT_OF_EVENT = """
            LEFT JOIN LATERAL (SELECT c.first_position FROM ${schema}.commits c
                               WHERE c.commit_id = e.commit_id LIMIT 1) c ON true""";

    /** Plain JDBC ({@code ?} parameters): stream, expected, ids, types, data, metadata, correlations, causations, sources. */
    final String append;

    /**
     * The append of the two commonest kinds as one statement, without PL/pgSQL: a new stream (no stream), or a stream at
     * exactly the expected version (an aggregate's save). It writes what {@code append_to_stream} writes in those cases
     * and nothing when the expected version does not hold: its one row is then all nulls, and the caller calls {@code
     * append_to_stream}, which says why (wrong version, deleted) or recognises a re-send. Measured server-only (pgbench,
     * 16 clients, a sequencer running): 11,400 to 12,000 single-event appends a second against 9,500 through the
     * function, whose call, statement executor set-ups and plan-cache checks cost about a fifth of an append.
     *
     * <p>The stream row is written (inserted, or locked and advanced) before the commit id is drawn, as in the function:
     * the row write assigns the transaction id (the sequencer relies on that order, see V3) and serializes appends to
     * one stream, so their commit ids rise with their versions. The commit id is drawn once, in a materialized CTE.
     *
     * <p>Plain JDBC: stream, event count, then the events' parameters ({@link #APPEND_EVENTS}).
     */
    final String appendNewStream;
    /** As {@link #appendNewStream}; plain JDBC: expected version, event count, stream, then the events' parameters. */
    final String appendAtVersion;

    final String sequence;
    /** Plain JDBC: stream and expected version code. */
    final String deleteStream;
    /** Plain JDBC, as the one below: stream, from version, stream, max. A deleted stream reads as empty. */
    final String readStreamForward;

    final String readStreamBackward;
    /** Plain JDBC: stream. The stream's tombstone, if it was deleted. */
    final String tombstone;

    final String streamVersion;
    final String positionOf;
    final String sequencerStatus;
    final String readAllPage;
    /** Plain JDBC: stream. */
    final String streamFirstVersion;
    /** The positions in :from..:to that retention removed; 0 at once below the highest position it ever removed. */
    final String removedEvents;

    private final String readAllFiltered;
    private final String schema;

    private EventStoreSql(String schema) {
        this.schema = schema;
        this.append = q("""
                SELECT first_version, next_expected_version, commit_id
                FROM ${schema}.append_to_stream(?, ?, CAST(? AS uuid[]), ?, CAST(? AS jsonb), CAST(? AS jsonb),
                                                CAST(? AS uuid[]), CAST(? AS uuid[]), ?)""");
        this.appendNewStream = q("""
                WITH stream AS (
                    INSERT INTO ${schema}.streams (stream_id, version) VALUES (?, ?)
                    ON CONFLICT ON CONSTRAINT streams_pkey DO NOTHING
                    RETURNING 0::bigint AS version
                )""" + APPEND_EVENTS);
        this.appendAtVersion = q("""
                WITH stream AS (
                    UPDATE ${schema}.streams s SET version = a.expected + a.count
                    FROM (SELECT CAST(? AS bigint) AS expected, CAST(? AS integer) AS count) a
                    WHERE s.stream_id = ? AND s.version = a.expected AND s.deleted_at IS NULL
                    RETURNING a.expected AS version
                )""" + APPEND_EVENTS);
        this.sequence = q("SELECT ${schema}.sequence_commits()");
        this.deleteStream = q("SELECT deleted_version, deleted_at FROM ${schema}.delete_stream(?, ?)");
        this.readStreamForward = q("""
                SELECT %s
                FROM ${schema}.events e
                %s
                WHERE e.stream_id = ? AND e.stream_version >= ? AND %s
                ORDER BY e.stream_version
                LIMIT ?""".formatted(COLUMNS, COMMIT_OF_EVENT, NOT_DELETED));
        this.readStreamBackward = q("""
                SELECT %s
                FROM ${schema}.events e
                %s
                WHERE e.stream_id = ? AND e.stream_version <= ? AND %s
                ORDER BY e.stream_version DESC
                LIMIT ?""".formatted(COLUMNS, COMMIT_OF_EVENT, NOT_DELETED));
        this.tombstone = q("""
                SELECT deleted_version, deleted_at FROM ${schema}.streams
                WHERE stream_id = ? AND deleted_at IS NOT NULL""");
        this.streamVersion =
                q("SELECT version, deleted_version, deleted_at FROM ${schema}.streams WHERE stream_id = ?");
        this.positionOf = q("SELECT last_position FROM ${schema}.commits WHERE commit_id = :commitId");
        // A function (V11), so its look-up of the unsequenced tail is planned with the sequencer row's values.
        this.sequencerStatus = q("SELECT last_position, oldest_unsequenced_seconds FROM ${schema}.sequencer_status()");
        this.streamFirstVersion = q("SELECT first_version FROM ${schema}.stream_truncations WHERE stream_id = ?");
        // Positions among committed events are dense, so a position up to the head without an event was removed.
        this.removedEvents = q("""
                SELECT CASE WHEN r.max_removed_position < :from THEN 0
                            ELSE (:to - :from + 1) - (SELECT count(*)
                                                      FROM ${schema}.commits c
                                                      JOIN ${schema}.events e ON e.commit_id = c.commit_id
                                                      WHERE c.last_position >= :from AND c.first_position <= :to
                                                        AND c.first_position + e.commit_index BETWEEN :from AND :to)
                       END
                FROM ${schema}.retention_state r""");
        // Commits in position order, each joined to its events: an index range scan on commits_last_position_key
        // and the events primary key, never a scan of all events. Positions are dense, so an unfiltered page is
        // exactly the positions from .. from + max - 1, and each commit's events come from a LATERAL index scan
        // already in commit_index order. A join ordered by (last_position, commit_index) would make the planner sort
        // every page's rows, payloads and all, to state that order. The LIMIT never drops a row (the bound admits at
        // most max); it stops the commits scan, whose first_position filter is no index condition, at a full page.
        this.readAllPage = q("""
                SELECT %s
                FROM ${schema}.commits c
                CROSS JOIN LATERAL (
                    SELECT %s
                    FROM ${schema}.events e
                    WHERE e.commit_id = c.commit_id
                      AND e.commit_index >= :from - c.first_position
                      AND e.commit_index < :from + :max - c.first_position
                    ORDER BY e.commit_index) e
                WHERE c.last_position >= :from AND c.first_position < :from + :max
                ORDER BY c.last_position
                LIMIT :max""".formatted(COLUMNS, COMMIT_EVENT_COLUMNS));
        // A filtered page cannot be bounded by position (matches may be sparse), so it takes a LIMIT, and a LIMIT may
        // end inside a commit: the order is stated in full. The LATERAL keeps the plan a walk of commits from :from
        // with an index probe each; a plain join lets the planner hash every event of the type (seen at 10x the
        // cost on a young store with stale statistics). %1$s filters events, %2$s bounds commits (readAllUpTo).
        this.readAllFiltered = q("""
                SELECT %s
                FROM ${schema}.commits c
                CROSS JOIN LATERAL (
                    SELECT %s
                    FROM ${schema}.events e
                    WHERE e.commit_id = c.commit_id
                      AND e.commit_index >= :from - c.first_position %%1$s
                    ORDER BY e.commit_index) e
                WHERE c.last_position >= :from %%2$s
                ORDER BY c.last_position, e.commit_index
                LIMIT :max""".formatted(COLUMNS, COMMIT_EVENT_COLUMNS));
    }

    /** The SQL for a store in {@code schema}, which the caller has validated. */
    public static EventStoreSql of(String schema) {
        return new EventStoreSql(schema);
    }

    /** The schema these statements use. */
    public String schema() {
        return schema;
    }

    /** The query for a filtered page; an unfiltered one is {@link #readAllPage}. */
    String readAllFiltered(EventFilter filter) {
        return readAllFiltered.formatted(filterCondition(filter), "");
    }

    /** {@link #readAllFiltered} ending at position {@code :to}. */
    String readAllFilteredUpTo(EventFilter filter) {
        return readAllFiltered.formatted(
                filterCondition(filter) + " AND e.commit_index <= :to - c.first_position",
                "AND c.first_position <= :to");
    }

    private static String filterCondition(EventFilter filter) {
        return (filter.types().isEmpty() ? "" : " AND e.type = ANY(:types)")
                + (filter.categories().isEmpty() ? "" : " AND split_part(e.stream_id, '-', 1) = ANY(:categories)");
    }

    private String q(String sql) {
        return sql.replace("${schema}", schema);
    }
}
