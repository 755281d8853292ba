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

    final String append;
    final String sequence;
    final String readStreamForward;
    final String readStreamBackward;
    final String streamVersion;
    final String positionOf;
    private final String readAll;
    private final String schema;

    private EventStoreSql(String schema) {
        this.schema = schema;
        this.append = q("""
                SELECT first_version, next_expected_version, commit_id
                FROM ${schema}.append_to_stream(:stream, :expected, :ids, :types, CAST(:data AS jsonb),
                                                CAST(:metadata AS jsonb),
                                                :correlationIds, :causationIds, :sources)""");
        this.sequence = q("SELECT ${schema}.sequence_commits()");
        this.readStreamForward = q("""
                SELECT %s
                FROM ${schema}.events e
                LEFT JOIN ${schema}.commits c ON c.commit_id = e.commit_id
                WHERE e.stream_id = :stream AND e.stream_version >= :from
                ORDER BY e.stream_version
                LIMIT :max""".formatted(COLUMNS));
        this.readStreamBackward = q("""
                SELECT %s
                FROM ${schema}.events e
                LEFT JOIN ${schema}.commits c ON c.commit_id = e.commit_id
                WHERE e.stream_id = :stream AND e.stream_version <= :from
                ORDER BY e.stream_version DESC
                LIMIT :max""".formatted(COLUMNS));
        this.streamVersion = q("SELECT version FROM ${schema}.streams WHERE stream_id = :stream");
        this.positionOf = q("SELECT last_position FROM ${schema}.commits WHERE commit_id = :commitId");
        // Commits in position order, each joined to its events in commit_index order: an index range scan
        // on commits_last_position_key and the events primary key, never a scan of all events. %%s adds
        // the filter, or, unfiltered, an upper bound (positions are dense, so the page ends before
        // from + max) that keeps the planner on that path even with stale statistics.
        this.readAll = q("""
                SELECT %s
                FROM ${schema}.commits c
                JOIN ${schema}.events e ON e.commit_id = c.commit_id
                WHERE c.last_position >= :from AND c.first_position + e.commit_index >= :from %%s
                ORDER BY c.last_position, e.commit_index
                LIMIT :max""".formatted(COLUMNS));
    }

    /** The SQL for a store in {@code schema}, which the caller has validated. */
    public static EventStoreSql of(String schema) {
        return new EventStoreSql(schema);
    }

    /** The schema these statements use. */
    public String schema() {
        return schema;
    }

    String readAll(EventFilter filter) {
        if (filter.isAll()) {
            return readAll.formatted("AND c.first_position < :from + :max");
        }
        String where = (filter.types().isEmpty() ? "" : " AND e.type = ANY(:types)")
                + (filter.categories().isEmpty() ? "" : " AND split_part(e.stream_id, '-', 1) = ANY(:categories)");
        return readAll.formatted(where);
    }

    private String q(String sql) {
        return sql.replace("${schema}", schema);
    }
}
