package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.EventFilter;

/**
 * The store's SQL, with the schema name substituted once. Schema names are validated before they get here (see
 * {@link #of(String)}), so substitution cannot inject anything.
 */
public final class EventStoreSql {
    /**
     * The global position of event {@code e} in {@code c}, the row of {@code commits} whose range of commit ids holds
     * it (V12): null when {@code c} is (the event is not ordered yet).
     */
    public static final String POSITION =
            "c.first_position + coalesce(c.commit_offsets[e.commit_id - c.first_commit_id + 1], 0) + e.commit_index";

    private static final String COLUMNS = """
            e.stream_id, e.stream_version, %s AS position, e.event_id, e.type,
            e.data, e.metadata, e.correlation_id, e.causation_id, e.source, e.recorded_at""".formatted(POSITION);
    /** What the LATERAL scan of one range's events hands up to {@link #COLUMNS}. */
    private static final String RANGE_EVENT_COLUMNS = """
            e.stream_id, e.stream_version, e.commit_id, e.commit_index, e.event_id, e.type, e.data, e.metadata,
            e.correlation_id, e.causation_id, e.source, e.recorded_at""";

    /**
     * Where in range {@code c} position {@code :from} lies, as the (commit_id, commit_index) a scan of events_pkey
     * starts at: the last commit whose first event is at or before it (the offsets are ascending, at most 256), or the
     * range's first event when {@code :from} lies before the range. One row for every {@code c}: an aggregate.
     */
    private static final String RANGE_START = pointInRange("s", ":from");

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
            LEFT JOIN LATERAL (SELECT c.commit_id, c.first_position, c.first_commit_id, c.commit_offsets
                               FROM ${schema}.commits c
                               WHERE c.commit_id >= e.commit_id ORDER BY c.commit_id LIMIT 1) c
                   ON coalesce(c.first_commit_id, c.commit_id) <= e.commit_id""";

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
    final String orderedHead;
    /** Plain JDBC: stream. */
    final String streamFirstVersion;
    /** The highest position retention ever removed (0 if none): below it no position was removed. */
    final String maxRemovedPosition;
    /** How many events :from..:to holds; positions are dense, so a position up to the head without one was removed. */
    final String presentEvents;

    private final String readAllPage;
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
        this.positionOf = q("""
                SELECT CASE WHEN c.commit_id = :commitId THEN c.last_position
                            ELSE c.first_position + c.commit_offsets[:commitId - c.first_commit_id + 2] - 1 END
                FROM (SELECT * FROM ${schema}.commits c
                      WHERE c.commit_id >= :commitId ORDER BY c.commit_id LIMIT 1) c
                WHERE coalesce(c.first_commit_id, c.commit_id) <= :commitId""");
        // A function (V11), so its look-up of the unsequenced tail is planned with the sequencer row's values.
        this.sequencerStatus = q("SELECT last_position, oldest_unsequenced_seconds FROM ${schema}.sequencer_status()");
        this.orderedHead = q("SELECT last_position FROM ${schema}.sequencer WHERE id = 1");
        this.streamFirstVersion = q("SELECT first_version FROM ${schema}.stream_truncations WHERE stream_id = ?");
        this.maxRemovedPosition = q("SELECT max_removed_position FROM ${schema}.retention_state");
        // The events present in :from..:to. The inner LIMIT (a window holds no more) keeps the planner's estimate of a
        // range's events small: unbounded, this count crossed jit_above_cost on a large store.
        this.presentEvents = q("""
                SELECT count(*)
                FROM ${schema}.commits c
                CROSS JOIN LATERAL (
                    SELECT 1
                    FROM ${schema}.events e
                    WHERE e.commit_id BETWEEN coalesce(c.first_commit_id, c.commit_id) AND c.commit_id
                      AND %s BETWEEN :from AND :to
                    LIMIT :to - :from + 1) e
                WHERE c.last_position >= :from AND c.first_position <= :to""".formatted(POSITION));
        // A page of the global order: ranges of commits in position order (an index range scan on
        // commits_last_position_key), each joined to its events by one scan of events_pkey from where :from lies in it
        // (the first range) or from its first event, never a scan of all events. Within a range, (commit_id,
        // commit_index) is position order (V12). The page is a LIMIT, not a window of positions: retention leaves
        // holes, and a page must hold max events if the store has them, however far apart. A LIMIT may end inside a
        // range, and every row of a range shares c.last_position, so the order is stated in full: ordered by
        // c.last_position alone, a plan that sorted the joined rows (seen on a small commits table whose rows a VACUUM
        // had let later ranges reuse) kept arbitrary rows of the range the LIMIT cut, and a page skipped events. The
        // LATERAL keeps the plan a walk of ranges from :from; a plain join let the planner hash every event of a type
        // (10x the cost on a young store with stale statistics). The inner LIMIT and the redundant lower bound on
        // commit_id change no result; they keep the planner's estimate of a range's events near the page size: without
        // them a filtered page on the benchmark's store of 3.6 million events was estimated at 15 billion rows,
        // crossed jit_above_cost and spent 15 ms compiling, 82 ms in all against 3 ms. %1$s filters events (nothing
        // for an unfiltered page), %2$s bounds ranges (readAllUpTo).
        this.readAllPage = q("""
                SELECT %s
                FROM ${schema}.commits c
                %s
                CROSS JOIN LATERAL (
                    SELECT %s
                    FROM ${schema}.events e
                    WHERE (e.commit_id, e.commit_index) >= (s.commit_id, s.commit_index)
                      AND e.commit_id BETWEEN coalesce(c.first_commit_id, c.commit_id) AND c.commit_id %%1$s
                    ORDER BY e.commit_id, e.commit_index
                    LIMIT :max) e
                WHERE c.last_position >= :from %%2$s
                ORDER BY c.last_position, e.commit_id, e.commit_index
                LIMIT :max""".formatted(COLUMNS, RANGE_START, RANGE_EVENT_COLUMNS));
    }

    /**
     * SQL: a {@code CROSS JOIN LATERAL} named {@code alias} with the (commit_id, commit_index) of position {@code
     * position} (an SQL expression) in range {@code c}: the last commit whose first event is at or before it (the
     * offsets ascend, at most 256 of them), or the range's first commit when the position lies before the range. As
     * a bound of a scan of events_pkey it starts (or ends) the scan at that position. One row for every {@code c}.
     */
    public static String pointInRange(String alias, String position) {
        return """
                CROSS JOIN LATERAL (
                    SELECT coalesce(c.first_commit_id, c.commit_id) + coalesce(max(k.i), 1) - 1 AS commit_id,
                           %2$s - c.first_position - coalesce(c.commit_offsets[coalesce(max(k.i), 1)], 0) AS commit_index
                    FROM generate_subscripts(c.commit_offsets, 1) AS k(i)
                    WHERE c.commit_offsets[k.i] <= %2$s - c.first_position) %1$s""".formatted(alias, position);
    }

    /** The SQL for a store in {@code schema}, which the caller has validated. */
    public static EventStoreSql of(String schema) {
        return new EventStoreSql(schema);
    }

    /** The schema these statements use. */
    public String schema() {
        return schema;
    }

    /** The query for a page of the global order: up to {@code :max} events from position {@code :from} on. */
    String readAllPage(EventFilter filter) {
        return readAllPage.formatted(filterCondition(filter), "");
    }

    /** {@link #readAllPage} ending at position {@code :to}. */
    String readAllPageUpTo(EventFilter filter) {
        return readAllPage.formatted(
                filterCondition(filter) + " AND " + POSITION + " <= :to", "AND c.first_position <= :to");
    }

    private static String filterCondition(EventFilter filter) {
        return (filter.types().isEmpty() ? "" : " AND e.type = ANY(:types)")
                + (filter.categories().isEmpty() ? "" : " AND split_part(e.stream_id, '-', 1) = ANY(:categories)");
    }

    private String q(String sql) {
        return sql.replace("${schema}", schema);
    }
}
