-- Group commit (issue 10, ADR 0016): a store writes the appends its callers make at the same time in one statement,
-- one transaction, one round trip and one WAL flush for the group instead of one each, and a handful of set-based
-- statements for the whole group instead of a handful per append. Each append keeps its own commit id, its own
-- expected-version check and its own idempotency check.

-- Appends to several streams in one transaction (the caller's statement). p_counts[i] is the number of events of
-- the i-th append; the event arrays (p_data and p_metadata included: JSON arrays) hold every append's events one
-- after another. Returns one row per append, in the order given.
--
-- Every append of a group whose checks all pass is written as append_to_stream would write it. Any append that
-- append_to_stream would answer otherwise (a wrong expected version, a deleted stream, an event id stored already,
-- a re-send) fails the whole group with NX005, and so does a stream row held by another transaction past
-- p_lock_timeout (55P03): nothing of the group is written, and the store makes each append on its own, where
-- append_to_stream gives it its exact answer. So a group never changes an outcome.
CREATE FUNCTION ${flyway:defaultSchema}.append_to_streams(
    p_stream_ids      text[],
    p_expected        bigint[],
    p_counts          integer[],
    p_event_ids       uuid[],
    p_types           text[],
    p_data            jsonb,
    p_metadata        jsonb,
    p_correlation_ids uuid[],
    p_causation_ids   uuid[],
    p_sources         text[],
    p_lock_timeout    text)
RETURNS TABLE (first_version bigint, next_expected_version bigint, commit_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_appends integer := cardinality(p_stream_ids);
    v_events  integer := cardinality(p_event_ids);
    v_bases   bigint[];  -- per append: its stream's version before it
    v_found   integer;
    v_starts  integer[]; -- per append: the ordinal of its first event
    v_owner   integer[]; -- per event: the ordinal of its append
    v_commits bigint[];  -- per append: its commit id
BEGIN
    IF cardinality(p_expected) <> v_appends OR cardinality(p_counts) <> v_appends
       OR (SELECT sum(c) FROM unnest(p_counts) c) <> v_events
       OR jsonb_array_length(p_data) <> v_events OR jsonb_array_length(p_metadata) <> v_events THEN
        RAISE EXCEPTION '% streams, % expected versions and % counts (of % events in all) for % event ids, % payloads'
                        ' and % metadata documents',
            v_appends, cardinality(p_expected), cardinality(p_counts), (SELECT sum(c) FROM unnest(p_counts) c),
            v_events, jsonb_array_length(p_data), jsonb_array_length(p_metadata)
            USING ERRCODE = '22023';
    END IF;
    IF (SELECT count(DISTINCT s) FROM unnest(p_stream_ids) s) < v_appends THEN
        -- One stream twice: each of its appends must be checked against the one before. The store never sends this.
        RAISE EXCEPTION 'a group appends to one stream twice' USING ERRCODE = 'NX005';
    END IF;
    -- A group must not wait long on a stream row another transaction holds: its other appends would wait with it.
    -- Past the timeout the group fails (55P03) and each append waits on its own, only for its own stream.
    PERFORM set_config('lock_timeout', p_lock_timeout, true);

    -- The stream rows, as append_to_stream writes them: kinds that accept a new stream create it at its final
    -- version; an existing stream whose expected version holds is checked and advanced by one UPDATE (which, under
    -- READ COMMITTED, re-checks a row a concurrent append changed meanwhile). A row another transaction inserted
    -- after this statement's snapshot is neither created nor advanced: the group fails and that append goes alone.
    WITH g AS (
        SELECT * FROM unnest(p_stream_ids, p_expected, p_counts) WITH ORDINALITY AS g(stream_id, expected, n, k)
    ), created AS (
        INSERT INTO ${flyway:defaultSchema}.streams (stream_id, version)
        SELECT g.stream_id, g.n FROM g WHERE g.expected IN (-1, -2, 0)
        ON CONFLICT ON CONSTRAINT streams_pkey DO NOTHING
        RETURNING stream_id, 0::bigint AS base
    ), advanced AS (
        UPDATE ${flyway:defaultSchema}.streams s
        SET version = s.version + g.n
        FROM g
        WHERE s.stream_id = g.stream_id
          AND s.deleted_at IS NULL
          AND (g.expected = -1
               OR (g.expected = -2 AND s.version = 0)
               OR (g.expected = -3 AND s.version > 0)
               OR s.version = g.expected)
        RETURNING s.stream_id, s.version - g.n AS base
    )
    SELECT array_agg(b.base ORDER BY g.k), count(b.base)
    INTO v_bases, v_found
    FROM g LEFT JOIN (SELECT * FROM created UNION ALL SELECT * FROM advanced) b USING (stream_id);
    IF v_found < v_appends THEN
        RAISE EXCEPTION '% of % streams of the group are not where their appends expect them', v_appends - v_found,
            v_appends USING ERRCODE = 'NX005';
    END IF;
    -- The stream rows are locked (or new) here, so an earlier append of these ids to these streams has committed.
    IF EXISTS (SELECT 1 FROM ${flyway:defaultSchema}.events e WHERE e.event_id = ANY (p_event_ids)) THEN
        RAISE EXCEPTION 'an event id of the group is stored already' USING ERRCODE = 'NX005';
    END IF;

    -- The transaction id exists (the stream rows above assigned it) before the commit ids are drawn; see
    -- append_to_stream and sequence_commits.
    PERFORM pg_current_xact_id();
    SELECT array_agg(nextval('${flyway:defaultSchema}.commit_id_seq') ORDER BY k) INTO v_commits
    FROM generate_series(1, v_appends) k;
    SELECT array_agg(c.starts ORDER BY c.k) INTO v_starts
    FROM (SELECT k, sum(n) OVER (ORDER BY k) - n + 1 AS starts
          FROM unnest(p_counts) WITH ORDINALITY AS c(n, k)) c;
    SELECT array_agg(c.k ORDER BY c.k, i) INTO v_owner
    FROM unnest(p_counts) WITH ORDINALITY AS c(n, k), generate_series(1, c.n) i;

    INSERT INTO ${flyway:defaultSchema}.events
        (commit_id, commit_index, stream_id, stream_version, event_id, type, data, metadata,
         correlation_id, causation_id, source)
    SELECT v_commits[o.k], e.ord - v_starts[o.k], p_stream_ids[o.k], v_bases[o.k] + e.ord - v_starts[o.k] + 1,
           e.event_id, e.type, e.data, nullif(e.metadata, 'null'::jsonb), e.correlation_id, e.causation_id, e.source
    FROM ROWS FROM (unnest(p_event_ids), unnest(p_types), jsonb_array_elements(p_data),
                    jsonb_array_elements(p_metadata), unnest(p_correlation_ids), unnest(p_causation_ids),
                    unnest(p_sources))
         WITH ORDINALITY AS e(event_id, type, data, metadata, correlation_id, causation_id, source, ord)
    CROSS JOIN LATERAL (SELECT v_owner[e.ord] AS k) o;

    RETURN QUERY
    SELECT v_bases[k] + 1, v_bases[k] + p_counts[k], v_commits[k]
    FROM generate_series(1, v_appends) k
    ORDER BY k;
END
$$;
