-- The sequencer's statements keep their index plans under PL/pgSQL's plan cache (issue 10).
--
-- 1. sequence_commits' fast path asked "EXISTS (events with commit_id > v_last_commit)". PL/pgSQL plans a statement
--    with its variables as parameters, and after five calls on one connection may keep a generic plan. For "commit_id >
--    $1" the planner guesses a third of the table and, for EXISTS, a sequential scan that stops at the first match
--    (estimated cost 0.93 against 0.45 for the index plus planning, so the generic plan won). New events sit at the end
--    of the heap, so every run on a busy store read most of events, and on an idle one all of it: 87 ms on a store of
--    520,000 events, and in the benchmark the sequencer's backend was on the CPU in 130 of 300 samples while sixteen
--    writers appended. The fast path now asks for the next commit id with ORDER BY ... LIMIT 1, whose every plan is a
--    probe of events_pkey. Everything else is V3's function, unchanged.
--
-- 2. The sequencer's status (PostgresEventStore.sequencerStatus, the health check) read the oldest unsequenced event
--    with the sequencer row's columns as correlated parameters: estimated a third of events, times the 740 rows the
--    planner assumes for the never-analyzed one-row sequencer table, it crossed jit_above_cost, and JIT compilation
--    alone took 126 ms of a 224 ms health check. As a function, its statement is planned with the actual values
--    (custom plans: a generic plan estimated at a third of events never looks cheaper), a probe of the unsequenced
--    tail.

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
    -- Fast path without locks or writes: readers call this before pages. ORDER BY ... LIMIT 1 keeps the first test an
    -- index probe in every plan, the generic one included (see the header of this migration).
    SELECT s.last_position, s.last_commit_id, s.open_commit_ids INTO v_head, v_last_commit, v_open
    FROM ${flyway:defaultSchema}.sequencer s WHERE s.id = 1;
    IF (SELECT e.commit_id FROM ${flyway:defaultSchema}.events e
        WHERE e.commit_id > v_last_commit ORDER BY e.commit_id LIMIT 1) IS NULL
       AND NOT EXISTS (SELECT 1 FROM ${flyway:defaultSchema}.events e WHERE e.commit_id = ANY (v_open)) THEN
        RETURN v_head;
    END IF;
    -- No WAL flush wait for this commit: sequencing is derived state, and anything durable that depends on
    -- a position (a checkpoint, a read model, a new append) commits later in the WAL, so flushing it flushes
    -- this run too. A crash can only lose positions nobody durably relied on; they are handed out again.
    -- Callers run this function in a transaction of its own (autocommit), never inside their own work.
    PERFORM set_config('synchronous_commit', 'off', true);
    -- A table lock, not a row lock: it serializes runs without assigning this transaction its id yet (see V3).
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

-- The head of the global order, and how long the oldest committed event without a position has waited (seconds since
-- its transaction started; null when every committed event has its position). Reads only; one snapshot (STABLE).
CREATE FUNCTION ${flyway:defaultSchema}.sequencer_status(OUT last_position bigint, OUT oldest_unsequenced_seconds float8)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_last_commit bigint;
    v_open        bigint[];
BEGIN
    SELECT s.last_position, s.last_commit_id, s.open_commit_ids INTO last_position, v_last_commit, v_open
    FROM ${flyway:defaultSchema}.sequencer s WHERE s.id = 1;
    SELECT extract(epoch FROM now() - min(e.recorded_at)) INTO oldest_unsequenced_seconds
    FROM ${flyway:defaultSchema}.events e
    WHERE e.commit_id > v_last_commit OR e.commit_id = ANY (v_open);
END
$$;
