-- The Nexus event store. Every name is qualified with the schema Flyway was given
-- (${flyway:defaultSchema}), so one database can hold one store per schema (tenants).
-- SCHEMA.md documents each table, column and constraint; doc/adr/0001 explains the global order.

-- One row per stream: its current version (= number of events). The append locks this row and
-- advances the version with a compare-and-set, so (stream, version) uniqueness never depends on a
-- global index alone and the events table can be partitioned later.
CREATE TABLE ${flyway:defaultSchema}.streams (
    stream_id  text        NOT NULL,
    version    bigint      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT streams_pkey PRIMARY KEY (stream_id),
    CONSTRAINT streams_version_check CHECK (version >= 0)
);

-- The events, append-only. An event's global position is not stored here: it is
-- commits.first_position + commit_index, assigned once its transaction has committed.
CREATE TABLE ${flyway:defaultSchema}.events (
    commit_id      bigint      NOT NULL,
    commit_index   integer     NOT NULL,
    stream_id      text        NOT NULL,
    stream_version bigint      NOT NULL,
    event_id       uuid        NOT NULL,
    type           text        NOT NULL,
    data           jsonb       NOT NULL,
    metadata       jsonb,
    correlation_id uuid,
    causation_id   uuid,
    source         text,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_pkey PRIMARY KEY (commit_id, commit_index),
    CONSTRAINT events_stream_id_version_key UNIQUE (stream_id, stream_version),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_check CHECK (stream_version >= 1),
    CONSTRAINT events_commit_index_check CHECK (commit_index >= 0)
);

-- Filtered catch-up by type reads this index instead of scanning every event.
CREATE INDEX events_type_commit_id_idx ON ${flyway:defaultSchema}.events (type, commit_id);

-- No CACHE: ids must rise in the order appends take the stream lock, so that sequencing by
-- commit_id keeps each stream's events in version order (a per-session cache would break that).
CREATE SEQUENCE ${flyway:defaultSchema}.commit_id_seq AS bigint;

-- Appends that committed but have no global position yet: a small queue that the sequencer empties.
CREATE TABLE ${flyway:defaultSchema}.unsequenced_commits (
    commit_id   bigint  NOT NULL,
    event_count integer NOT NULL,
    CONSTRAINT unsequenced_commits_pkey PRIMARY KEY (commit_id)
);

-- The global order, one row per append: positions first_position..last_position belong to the
-- events of commit_id, in commit_index order. Insert-only and physically in position order.
CREATE TABLE ${flyway:defaultSchema}.commits (
    commit_id      bigint      NOT NULL,
    first_position bigint      NOT NULL,
    last_position  bigint      NOT NULL,
    sequenced_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT commits_pkey PRIMARY KEY (commit_id),
    CONSTRAINT commits_last_position_key UNIQUE (last_position),
    CONSTRAINT commits_positions_check CHECK (first_position >= 1 AND last_position >= first_position)
);

-- The sequencer's single row: the last position handed out. Locking it serializes sequencing.
CREATE TABLE ${flyway:defaultSchema}.sequencer (
    id            smallint NOT NULL DEFAULT 1,
    last_position bigint   NOT NULL DEFAULT 0,
    CONSTRAINT sequencer_pkey PRIMARY KEY (id),
    CONSTRAINT sequencer_single_row_check CHECK (id = 1)
);
INSERT INTO ${flyway:defaultSchema}.sequencer (id, last_position) VALUES (1, 0);

-- The database itself refuses to change or remove events; only the retention path (which sets
-- nexus.allow_event_removal for its own transaction) may delete.
CREATE FUNCTION ${flyway:defaultSchema}.refuse_event_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('nexus.allow_event_removal', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'events are append-only: % on %.events is not allowed', TG_OP, TG_TABLE_SCHEMA
        USING ERRCODE = 'NX003',
              HINT = 'events leave the store only through the retention path';
END
$$;

CREATE TRIGGER events_append_only_trg
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ${flyway:defaultSchema}.events
    FOR EACH STATEMENT EXECUTE FUNCTION ${flyway:defaultSchema}.refuse_event_change();

-- Appends events to one stream in the caller's transaction: one round trip for the whole batch.
-- p_expected: -1 any, -2 no stream, -3 stream exists, n >= 0 exactly n.
-- p_data and p_metadata are JSON arrays with one element per event (metadata null when empty): one
-- jsonb parameter instead of a text[] of documents saves escaping every quote on the way in.
-- Raises NX001 (wrong expected version; DETAIL = the actual version) or NX002 (duplicate event id;
-- DETAIL = the id). A re-send of an earlier append returns that append's result and writes nothing.
CREATE FUNCTION ${flyway:defaultSchema}.append_to_stream(
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
    v_count      integer := cardinality(p_event_ids);
    v_version    bigint;
    v_created    boolean := false;
    v_constraint text;
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
        SELECT s.version INTO v_version
        FROM ${flyway:defaultSchema}.streams s
        WHERE s.stream_id = p_stream_id
        FOR UPDATE;
        v_version := coalesce(v_version, 0);
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

    commit_id := nextval('${flyway:defaultSchema}.commit_id_seq');
    -- A plain insert: cheaper than ON CONFLICT, whose speculative insertion locks every row. A stored
    -- event id (a re-send, or a reused id) rolls this block back and is sorted out below.
    BEGIN
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
    EXCEPTION WHEN unique_violation THEN
        GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
        IF v_constraint <> 'events_event_id_key' THEN
            RAISE;
        END IF;
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
    END;

    IF NOT v_created THEN
        UPDATE ${flyway:defaultSchema}.streams SET version = v_version + v_count WHERE stream_id = p_stream_id;
    END IF;
    INSERT INTO ${flyway:defaultSchema}.unsequenced_commits (commit_id, event_count) VALUES (commit_id, v_count);
    first_version := v_version + 1;
    next_expected_version := v_version + v_count;
END
$$;

-- The earlier append that this batch re-sends, if it is an exact re-send: every id stored in this
-- stream, contiguous from a first version the expected version allows, with the same type, data and
-- metadata. Returns a row of NULLs when no id is stored; raises NX002 when some are but differ.
CREATE FUNCTION ${flyway:defaultSchema}.find_resent_append(
    p_stream_id text,
    p_expected  bigint,
    p_event_ids uuid[],
    p_types     text[],
    p_data      jsonb,
    p_metadata  jsonb,
    OUT first_version bigint,
    OUT next_expected_version bigint,
    OUT commit_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_found   integer;
    v_matches integer;
    v_offending uuid;
BEGIN
    SELECT count(*),
           count(*) FILTER (WHERE e.stream_id = p_stream_id
                              AND e.type = n.type
                              AND e.data = n.data
                              AND e.metadata IS NOT DISTINCT FROM nullif(n.metadata, 'null'::jsonb)),
           min(e.stream_version - n.ord + 1),
           min(e.commit_id),
           (array_agg(n.event_id ORDER BY n.ord))[1]
    INTO v_found, v_matches, first_version, commit_id, v_offending
    FROM ROWS FROM (unnest(p_event_ids), unnest(p_types), jsonb_array_elements(p_data),
                    jsonb_array_elements(p_metadata))
         WITH ORDINALITY AS n(event_id, type, data, metadata, ord)
    JOIN ${flyway:defaultSchema}.events e ON e.event_id = n.event_id;

    IF v_found = 0 THEN
        first_version := NULL;
        commit_id := NULL;
        RETURN;
    END IF;
    IF v_found = cardinality(p_event_ids)
       AND v_matches = v_found
       AND (p_expected = -1
            OR (p_expected = -2 AND first_version = 1)
            OR (p_expected = -3 AND first_version > 1)
            OR first_version = p_expected + 1)
       AND NOT EXISTS (
            SELECT 1
            FROM unnest(p_event_ids) WITH ORDINALITY AS n(event_id, ord)
            JOIN ${flyway:defaultSchema}.events e ON e.event_id = n.event_id
            WHERE e.stream_version <> first_version + n.ord - 1
               OR e.commit_id <> find_resent_append.commit_id) THEN
        next_expected_version := first_version + cardinality(p_event_ids) - 1;
        RETURN;
    END IF;
    RAISE EXCEPTION 'stream %: event % is already stored and this is not an exact re-send of its append',
        p_stream_id, v_offending
        USING ERRCODE = 'NX002', DETAIL = v_offending::text;
END
$$;

-- Gives the committed, not yet ordered appends their global positions, in one short transaction.
-- Sequencing is serialized by the lock on the sequencer row, and each run commits before the next
-- starts, so readers see positions appear as a gap-free prefix. Returns the last position handed out.
CREATE FUNCTION ${flyway:defaultSchema}.sequence_commits() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_head     bigint;
    v_new_head bigint;
BEGIN
    -- Fast path without locks: readers call this before every page.
    IF NOT EXISTS (SELECT 1 FROM ${flyway:defaultSchema}.unsequenced_commits) THEN
        RETURN (SELECT s.last_position FROM ${flyway:defaultSchema}.sequencer s WHERE s.id = 1);
    END IF;
    -- No WAL flush wait for this commit: sequencing is derived state, and anything durable that depends on
    -- a position (a checkpoint, a read model, a new append) commits later in the WAL, so flushing it flushes
    -- this run too. A crash can only lose positions nobody durably relied on; they are handed out again.
    -- Callers run this function in a transaction of its own (autocommit), never inside their own work.
    PERFORM set_config('synchronous_commit', 'off', true);
    SELECT s.last_position INTO v_head FROM ${flyway:defaultSchema}.sequencer s WHERE s.id = 1 FOR UPDATE;
    WITH pending AS (
        DELETE FROM ${flyway:defaultSchema}.unsequenced_commits RETURNING commit_id, event_count
    ), numbered AS (
        SELECT p.commit_id, p.event_count,
               v_head + sum(p.event_count) OVER (ORDER BY p.commit_id) AS last_position
        FROM pending p
    ), inserted AS (
        INSERT INTO ${flyway:defaultSchema}.commits (commit_id, first_position, last_position)
        SELECT n.commit_id, n.last_position - n.event_count + 1, n.last_position
        FROM numbered n
        RETURNING last_position
    )
    SELECT max(i.last_position) INTO v_new_head FROM inserted i;

    IF v_new_head IS NULL THEN
        RETURN v_head;
    END IF;
    UPDATE ${flyway:defaultSchema}.sequencer SET last_position = v_new_head WHERE id = 1;
    PERFORM pg_notify('${flyway:defaultSchema}_events', v_new_head::text);
    RETURN v_new_head;
END
$$;
