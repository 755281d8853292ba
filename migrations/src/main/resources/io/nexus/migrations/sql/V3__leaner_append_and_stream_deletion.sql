-- Appends write less (issue 10) and streams can be deleted (issue 12). doc/adr/0001 has the WAL profile that
-- motivates each change; SCHEMA.md documents the columns. Run it with appends stopped: it drains the queue of V1.

-- 1. No type index. Filtered reads walk the global order (commits) and probe each commit's events; no query of the
-- store reads this index, and it was one of the four index entries every event wrote.
DROP INDEX ${flyway:defaultSchema}.events_type_commit_id_idx;

-- 2. Soft deletion: a tombstone on the stream row. Reads of the stream and appends to it are refused from then on
-- (NX004); the retention path may remove the events of a stream with a tombstone (hard delete).
ALTER TABLE ${flyway:defaultSchema}.streams
    ADD COLUMN deleted_at      timestamptz,
    ADD COLUMN deleted_version bigint,
    ADD CONSTRAINT streams_deleted_check CHECK ((deleted_at IS NULL) = (deleted_version IS NULL));

-- 3. No queue row per append. The sequencer finds committed appends in events itself: every commit id above
-- last_commit_id, plus the commit ids it once skipped because they were not visible yet (open_commit_ids). An open id
-- is an append still running, or one that rolled back; open_since_xids holds, for each, the transaction id of the
-- sequencing run that first skipped it. Once every transaction up to that one has ended (the snapshot's xmin is past
-- it), an open id that is still invisible was rolled back and is forgotten. Nothing waits for it meanwhile.
ALTER TABLE ${flyway:defaultSchema}.sequencer
    ADD COLUMN last_commit_id  bigint   NOT NULL DEFAULT 0,
    ADD COLUMN open_commit_ids bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN open_since_xids bigint[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT sequencer_open_check CHECK (cardinality(open_commit_ids) = cardinality(open_since_xids));

-- Drain the V1 queue with the V1 sequencer (no append can queue meanwhile), then start the scan after it.
LOCK TABLE ${flyway:defaultSchema}.unsequenced_commits IN ACCESS EXCLUSIVE MODE;
DO $$
BEGIN
    PERFORM ${flyway:defaultSchema}.sequence_commits();
    PERFORM set_config('synchronous_commit', 'on', true); -- the V1 sequencer turned it off for this transaction
END
$$;
UPDATE ${flyway:defaultSchema}.sequencer
SET last_commit_id = coalesce((SELECT max(c.commit_id) FROM ${flyway:defaultSchema}.commits c), 0)
WHERE id = 1;
DROP TABLE ${flyway:defaultSchema}.unsequenced_commits;

-- Appends events to one stream in the caller's transaction: one round trip for the whole batch.
-- p_expected: -1 any, -2 no stream, -3 stream exists, n >= 0 exactly n.
-- Raises NX001 (wrong expected version; DETAIL = the actual version), NX002 (duplicate event id; DETAIL = the id) or
-- NX004 (the stream is deleted; DETAIL = '<deleted version>/<deleted at, microseconds since 1970>'). A re-send of an
-- earlier append returns that append's result and writes nothing.
-- Beside V1: no queue row, and no EXCEPTION block (a subtransaction on every call): stored ids are looked up
-- before the insert instead. The stream row lock serializes appends to one stream, so a re-send of an append still
-- in flight waits for it and then finds its ids; an id racing in from another stream fails the insert with
-- events_event_id_key, which is a duplicate either way.
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

    -- The stream row is locked (or new) here, so an earlier append of these ids to this stream has committed.
    IF EXISTS (SELECT 1 FROM ${flyway:defaultSchema}.events e WHERE e.event_id = ANY (p_event_ids)) THEN
        SELECT r.first_version, r.next_expected_version, r.commit_id
        INTO first_version, next_expected_version, commit_id
        FROM ${flyway:defaultSchema}.find_resent_append(p_stream_id, p_expected, p_event_ids, p_types, p_data, p_metadata) r;
        IF first_version IS NOT NULL AND NOT v_created THEN
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

    IF NOT v_created THEN
        UPDATE ${flyway:defaultSchema}.streams SET version = v_version + v_count WHERE stream_id = p_stream_id;
    END IF;
    first_version := v_version + 1;
    next_expected_version := v_version + v_count;
END
$$;

-- Soft-deletes a stream: writes the tombstone (deleted_at, deleted_version) if p_expected holds (codes as in
-- append_to_stream). A stream that never existed gets a tombstone at version 0, so its name stays taken.
-- Raises NX001 (wrong expected version; DETAIL = the actual version) or NX004 (already deleted; DETAIL as above).
CREATE FUNCTION ${flyway:defaultSchema}.delete_stream(
    p_stream_id text,
    p_expected  bigint,
    OUT deleted_version bigint,
    OUT deleted_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    v_version         bigint;
    v_deleted_at      timestamptz;
    v_deleted_version bigint;
BEGIN
    INSERT INTO ${flyway:defaultSchema}.streams (stream_id, version)
    VALUES (p_stream_id, 0)
    ON CONFLICT ON CONSTRAINT streams_pkey DO NOTHING;
    SELECT s.version, s.deleted_at, s.deleted_version INTO v_version, v_deleted_at, v_deleted_version
    FROM ${flyway:defaultSchema}.streams s
    WHERE s.stream_id = p_stream_id
    FOR UPDATE;
    IF v_deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'stream %: deleted at version % on %', p_stream_id, v_deleted_version, v_deleted_at
            USING ERRCODE = 'NX004',
                  DETAIL = v_deleted_version::text || '/' || (extract(epoch FROM v_deleted_at) * 1000000)::bigint::text;
    END IF;
    IF NOT (p_expected = -1
            OR (p_expected = -2 AND v_version = 0)
            OR (p_expected = -3 AND v_version > 0)
            OR p_expected = v_version) THEN
        -- Raising rolls back the placeholder row inserted above, if it was ours.
        RAISE EXCEPTION 'stream %: wrong expected version %, actual %', p_stream_id, p_expected, v_version
            USING ERRCODE = 'NX001', DETAIL = v_version::text;
    END IF;
    UPDATE ${flyway:defaultSchema}.streams s
    SET deleted_at = now(), deleted_version = s.version
    WHERE s.stream_id = p_stream_id
    RETURNING s.deleted_version, s.deleted_at INTO deleted_version, deleted_at;
END
$$;

-- Gives the committed, not yet ordered appends their global positions, in one short transaction. Sequencing is
-- serialized by a table lock on sequencer, and each run commits before the next starts, so readers see positions
-- appear as a gap-free prefix. Returns the last position handed out.
--
-- Finding the appends without a queue: commit ids come from a sequence in the order appends take their stream's
-- lock, and each append draws its id after its transaction id exists. A run walks the ids above last_commit_id
-- that are visible (committed) and the open ids (skipped earlier) that became visible, orders them by commit id and
-- hands out positions. Every id up to the largest one found that is still invisible becomes open: its append is
-- still running (it gets a position in a later run, after whatever was ordered meanwhile) or rolled back. An open
-- id is forgotten once the snapshot's xmin (taken before the scan) is past the transaction id of the run that first
-- skipped it: that run's id was assigned after its scan, so after the skipped append's transaction id; every
-- transaction up to it has ended, and an append that committed would be visible to the scan. No run ever waits for
-- a running transaction, so nothing stalls; a transaction open elsewhere only keeps rolled-back ids open longer.
CREATE OR REPLACE FUNCTION ${flyway:defaultSchema}.sequence_commits() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_head        bigint;
    v_last_commit bigint;
    v_open        bigint[];
    v_open_since  bigint[];
    v_xmin        bigint;
    v_new_head    bigint;
    v_found       bigint[];
    v_max_found   bigint;
    v_me          bigint;
    v_keep_ids    bigint[];
    v_keep_since  bigint[];
BEGIN
    -- Fast path without locks or writes: readers call this before pages.
    SELECT s.last_position, s.last_commit_id, s.open_commit_ids INTO v_head, v_last_commit, v_open
    FROM ${flyway:defaultSchema}.sequencer s WHERE s.id = 1;
    IF NOT EXISTS (SELECT 1 FROM ${flyway:defaultSchema}.events e WHERE e.commit_id > v_last_commit)
       AND NOT EXISTS (SELECT 1 FROM ${flyway:defaultSchema}.events e WHERE e.commit_id = ANY (v_open)) THEN
        RETURN v_head;
    END IF;
    -- No WAL flush wait for this commit: sequencing is derived state, and anything durable that depends on
    -- a position (a checkpoint, a read model, a new append) commits later in the WAL, so flushing it flushes
    -- this run too. A crash can only lose positions nobody durably relied on; they are handed out again.
    -- Callers run this function in a transaction of its own (autocommit), never inside their own work.
    PERFORM set_config('synchronous_commit', 'off', true);
    -- A table lock, not a row lock: it serializes runs without assigning this transaction its id yet (see above).
    LOCK TABLE ${flyway:defaultSchema}.sequencer IN SHARE ROW EXCLUSIVE MODE;
    SELECT s.last_position, s.last_commit_id, s.open_commit_ids, s.open_since_xids
    INTO v_head, v_last_commit, v_open, v_open_since
    FROM ${flyway:defaultSchema}.sequencer s WHERE s.id = 1;
    v_xmin := pg_snapshot_xmin(pg_current_snapshot())::text::bigint;

    WITH RECURSIVE later(commit_id) AS (
        (SELECT e.commit_id FROM ${flyway:defaultSchema}.events e
         WHERE e.commit_id > v_last_commit ORDER BY e.commit_id LIMIT 1)
        UNION ALL
        SELECT (SELECT e.commit_id FROM ${flyway:defaultSchema}.events e
                WHERE e.commit_id > l.commit_id ORDER BY e.commit_id LIMIT 1)
        FROM later l
        WHERE l.commit_id IS NOT NULL
    ), found AS (
        SELECT l.commit_id FROM later l WHERE l.commit_id IS NOT NULL
        UNION ALL
        SELECT o.commit_id FROM unnest(v_open) AS o(commit_id)
        WHERE EXISTS (SELECT 1 FROM ${flyway:defaultSchema}.events e WHERE e.commit_id = o.commit_id)
    ), numbered AS (
        SELECT f.commit_id, n.event_count,
               v_head + sum(n.event_count) OVER (ORDER BY f.commit_id) AS last_position
        FROM found f
        CROSS JOIN LATERAL (
            SELECT e.commit_index + 1 AS event_count
            FROM ${flyway:defaultSchema}.events e
            WHERE e.commit_id = f.commit_id
            ORDER BY e.commit_index DESC
            LIMIT 1) n
    ), inserted AS (
        INSERT INTO ${flyway:defaultSchema}.commits (commit_id, first_position, last_position)
        SELECT n.commit_id, n.last_position - n.event_count + 1, n.last_position
        FROM numbered n
        RETURNING commit_id, last_position
    )
    SELECT max(i.last_position), array_agg(i.commit_id), max(i.commit_id) FILTER (WHERE i.commit_id > v_last_commit)
    INTO v_new_head, v_found, v_max_found
    FROM inserted i;
    v_found := coalesce(v_found, '{}');

    -- Open ids still invisible stay open unless every transaction that could have drawn them has ended.
    SELECT coalesce(array_agg(o.commit_id ORDER BY o.commit_id), '{}'),
           coalesce(array_agg(o.since ORDER BY o.commit_id), '{}')
    INTO v_keep_ids, v_keep_since
    FROM unnest(v_open, v_open_since) AS o(commit_id, since)
    WHERE o.commit_id <> ALL (v_found) AND v_xmin <= o.since;
    IF v_max_found IS NOT NULL THEN
        -- Assigned now, after the scan's snapshot: larger than the id of any append that drew a skipped commit id.
        v_me := pg_current_xact_id()::text::bigint;
        -- A set difference (hashed), not "<> ALL (v_found)": a run after a long pause may find very many commits.
        SELECT v_keep_ids || coalesce(array_agg(g.id ORDER BY g.id), '{}'),
               v_keep_since || coalesce(array_agg(v_me), '{}')
        INTO v_keep_ids, v_keep_since
        FROM (SELECT generate_series(v_last_commit + 1, v_max_found) EXCEPT SELECT unnest(v_found)) AS g(id);
        v_last_commit := v_max_found;
    END IF;

    IF v_new_head IS NULL AND v_keep_ids = v_open THEN
        RETURN v_head;
    END IF;
    UPDATE ${flyway:defaultSchema}.sequencer
    SET last_position = coalesce(v_new_head, v_head), last_commit_id = v_last_commit,
        open_commit_ids = v_keep_ids, open_since_xids = v_keep_since
    WHERE id = 1;
    IF v_new_head IS NULL THEN
        RETURN v_head;
    END IF;
    PERFORM pg_notify('${flyway:defaultSchema}_events', v_new_head::text);
    RETURN v_new_head;
END
$$;
