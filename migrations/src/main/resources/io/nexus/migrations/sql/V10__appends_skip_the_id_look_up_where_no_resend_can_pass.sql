-- Appends look their event ids up only where a re-send can get past the version check (issue 10). Every append looked
-- its ids up in events_event_id_key before inserting, to tell a re-send from a duplicate. A re-send repeats its
-- expected version; where that is an exact version (or "no stream") and the first attempt committed, the stream has
-- moved past it, so the re-send takes the wrong-version path, which recognises it (find_resent_append). An append
-- that creates its stream cannot be a re-send either. Only "any" and "stream exists" on an existing stream can be a
-- re-send whose version check passes, and only they still look their ids up first. Everywhere else the look-up could
-- only find a duplicate, which the insert's unique index refuses anyway: such an append now fails with
-- unique_violation (23505, constraint events_event_id_key, the id in its DETAIL), reported as the same
-- DuplicateEventException. The profile (auto_explain of the function's statements) put the look-up at about a sixth
-- of the function's statement time for one event; a batch of 100 looked up 100 ids. Everything else is V9's
-- append_to_stream, unchanged.

-- Appends events to one stream in the caller's transaction: one round trip for the whole batch.
-- p_expected: -1 any, -2 no stream, -3 stream exists, n >= 0 exactly n.
-- Raises NX001 (wrong expected version; DETAIL = the actual version), NX002 (duplicate event id; DETAIL = the id) or
-- NX004 (the stream is deleted; DETAIL = '<deleted version>/<deleted at, microseconds since 1970>'). A re-send of an
-- earlier append returns that append's result and writes nothing.
CREATE OR REPLACE FUNCTION ${flyway:defaultSchema}.append_to_stream(
    p_stream_id       text,
    p_expected        bigint,
    p_event_ids       uuid[],
    p_types           text[],
    p_data            jsonb,
    p_metadata        jsonb,
    p_correlation_ids uuid[],
    p_causation_ids   uuid[],
    p_sources         text[],
    OUT first_version bigint,
    OUT next_expected_version bigint,
    OUT commit_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_count           integer := cardinality(p_event_ids);
    v_version         bigint;
    v_created         boolean := false;
    v_advanced        boolean := false;
    v_deleted_at      timestamptz;
    v_deleted_version bigint;
BEGIN
    IF jsonb_array_length(p_data) <> v_count OR jsonb_array_length(p_metadata) <> v_count THEN
        RAISE EXCEPTION 'stream %: % event ids but % payloads and % metadata documents',
            p_stream_id, v_count, jsonb_array_length(p_data), jsonb_array_length(p_metadata)
            USING ERRCODE = '22023';
    END IF;

    -- Kinds that accept a new stream try to create it at its final version in one step.
    IF p_expected IN (-1, -2, 0) THEN
        INSERT INTO ${flyway:defaultSchema}.streams (stream_id, version)
        VALUES (p_stream_id, v_count)
        ON CONFLICT ON CONSTRAINT streams_pkey DO NOTHING;
        v_created := FOUND;
    END IF;
    IF v_created THEN
        v_version := 0;
    ELSE
        -- An existing stream whose expected version holds: one write locks, checks and advances its row. Under READ
        -- COMMITTED an UPDATE that waited for a concurrent append re-checks its condition on the row that append left.
        UPDATE ${flyway:defaultSchema}.streams s
        SET version = s.version + v_count
        WHERE s.stream_id = p_stream_id
          AND s.deleted_at IS NULL
          AND (p_expected = -1
               OR (p_expected = -2 AND s.version = 0)
               OR (p_expected = -3 AND s.version > 0)
               OR s.version = p_expected)
        RETURNING s.version - v_count INTO v_version;
        v_advanced := FOUND;
    END IF;
    IF NOT v_created AND NOT v_advanced THEN
        -- Wrong expected version, deleted, or no such stream: lock the row and read it to say which. The version read
        -- here may have moved since the UPDATE above; then the check below decides on it, as V3 did.
        SELECT s.version, s.deleted_at, s.deleted_version INTO v_version, v_deleted_at, v_deleted_version
        FROM ${flyway:defaultSchema}.streams s
        WHERE s.stream_id = p_stream_id
        FOR UPDATE;
        v_version := coalesce(v_version, 0);
        IF v_deleted_at IS NOT NULL THEN
            RAISE EXCEPTION 'stream %: deleted at version % on %', p_stream_id, v_deleted_version, v_deleted_at
                USING ERRCODE = 'NX004',
                      DETAIL = v_deleted_version::text || '/'
                               || (extract(epoch FROM v_deleted_at) * 1000000)::bigint::text;
        END IF;
    END IF;

    IF NOT (p_expected = -1
            OR (p_expected = -2 AND v_version = 0)
            OR (p_expected = -3 AND v_version > 0)
            OR p_expected = v_version) THEN
        SELECT r.first_version, r.next_expected_version, r.commit_id
        INTO first_version, next_expected_version, commit_id
        FROM ${flyway:defaultSchema}.find_resent_append(p_stream_id, p_expected, p_event_ids, p_types, p_data, p_metadata) r;
        IF first_version IS NOT NULL THEN
            RETURN;
        END IF;
        RAISE EXCEPTION 'stream %: wrong expected version %, actual %', p_stream_id, p_expected, v_version
            USING ERRCODE = 'NX001', DETAIL = v_version::text;
    END IF;

    -- The stream row is locked here, so an earlier append of these ids to this stream has committed. Only "any" and
    -- "stream exists" let a re-send of it pass the check above; for every other append (and one that created its
    -- stream) a stored id is a duplicate, which the insert below refuses by its unique index, naming the id.
    IF p_expected IN (-1, -3) AND NOT v_created
       AND EXISTS (SELECT 1 FROM ${flyway:defaultSchema}.events e WHERE e.event_id = ANY (p_event_ids)) THEN
        SELECT r.first_version, r.next_expected_version, r.commit_id
        INTO first_version, next_expected_version, commit_id
        FROM ${flyway:defaultSchema}.find_resent_append(p_stream_id, p_expected, p_event_ids, p_types, p_data, p_metadata) r;
        IF first_version IS NOT NULL AND NOT v_created THEN
            IF v_advanced THEN
                -- A re-send writes nothing: put back the version the UPDATE above advanced (rare, so a second write).
                UPDATE ${flyway:defaultSchema}.streams SET version = v_version WHERE stream_id = p_stream_id;
            END IF;
            RETURN;
        END IF;
        RAISE EXCEPTION 'stream %: an event id of the batch is already stored', p_stream_id
            USING ERRCODE = 'NX002',
                  DETAIL = coalesce((SELECT x.event_id::text
                                     FROM unnest(p_event_ids) AS x(event_id)
                                     JOIN ${flyway:defaultSchema}.events e ON e.event_id = x.event_id
                                     LIMIT 1), 'unknown');
    END IF;

    -- The transaction id must exist before the commit id is drawn: sequence_commits forgets an invisible commit id
    -- only once every transaction that could have drawn it has ended, and tells them apart by transaction id. The
    -- stream row write or lock above has assigned it already; this states the dependency.
    PERFORM pg_current_xact_id();
    commit_id := nextval('${flyway:defaultSchema}.commit_id_seq');
    INSERT INTO ${flyway:defaultSchema}.events
        (commit_id, commit_index, stream_id, stream_version, event_id, type, data, metadata,
         correlation_id, causation_id, source)
    SELECT commit_id, n.ord - 1, p_stream_id, v_version + n.ord, n.event_id, n.type, n.data,
           nullif(n.metadata, 'null'::jsonb), n.correlation_id, n.causation_id, n.source
    -- ROWS FROM walks the arrays in lockstep; jsonb_array_elements is much cheaper than p_data -> i.
    FROM ROWS FROM (unnest(p_event_ids), unnest(p_types), jsonb_array_elements(p_data),
                    jsonb_array_elements(p_metadata), unnest(p_correlation_ids), unnest(p_causation_ids),
                    unnest(p_sources))
         WITH ORDINALITY AS n(event_id, type, data, metadata, correlation_id, causation_id, source, ord);

    IF NOT v_created AND NOT v_advanced THEN
        UPDATE ${flyway:defaultSchema}.streams SET version = v_version + v_count WHERE stream_id = p_stream_id;
    END IF;
    first_version := v_version + 1;
    next_expected_version := v_version + v_count;
END
$$;
