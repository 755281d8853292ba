-- One row of the global order per range of consecutive commit ids that a sequencing run ordered, not per append
-- (issue 10). Each run wrote a commits row per append: its heap tuple and two index entries, three of the 11.2 WAL
-- records of a single-event append, and a probe of commits for every append a global read walks (a store of
-- one-event appends read at 0.7 of the rate of one written in 1,000-event appends).
--
-- commit_id is now the range's last commit id and first_commit_id its first; every commit id in between has events
-- and was ordered by the same run, in commit-id order, so the range's positions first_position..last_position are its
-- events in (commit_id, commit_index) order, and no other row covers any of its ids. commit_offsets[k] is the offset
-- from first_position of the first event of commit first_commit_id + k - 1. A range of one commit leaves both null
-- (every row written before V12 is one). An event's position: first_position + coalesce(commit_offsets[commit_id -
-- first_commit_id + 1], 0) + commit_index. Rolled-back or still-running ids have no events, so they end a range.

ALTER TABLE ${flyway:defaultSchema}.commits
    ADD COLUMN first_commit_id bigint,
    ADD COLUMN commit_offsets  integer[],
    ADD CONSTRAINT commits_range_check CHECK (
        (first_commit_id IS NULL AND commit_offsets IS NULL)
        OR (first_commit_id < commit_id AND cardinality(commit_offsets) = commit_id - first_commit_id + 1
            AND commit_offsets[1] = 0));

-- SET enable_seqscan = off: every statement below reaches events through events_pkey. PL/pgSQL keeps the plans it
-- made when events was small (until an ANALYZE invalidates them), and a plan made on a table of a few pages is a
-- sequential scan: the benchmark's sequencer kept one for the open ids' look-up and spent 50 to 90 ms a run scanning
-- 200,000 events. With sequential scans priced out, the index is chosen whatever the table's size at planning time.
-- jit = off: a run is a handful of index probes; an estimate crossing jit_above_cost would only add compilation.
CREATE OR REPLACE FUNCTION ${flyway:defaultSchema}.sequence_commits() RETURNS bigint
LANGUAGE plpgsql SET enable_seqscan = off SET jit = off AS $$
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
    -- index probe in every plan, the generic one included (see V11).
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
    ), numbered AS MATERIALIZED (
        SELECT f.commit_id, n.event_count,
               v_head + sum(n.event_count) OVER (ORDER BY f.commit_id) AS last_position,
               -- Consecutive commit ids share a run number: every id between them was found by this run.
               f.commit_id - row_number() OVER (ORDER BY f.commit_id) AS run
        FROM found f
        CROSS JOIN LATERAL (
            SELECT e.commit_index + 1 AS event_count
            FROM ${flyway:defaultSchema}.events e
            WHERE e.commit_id = f.commit_id
            ORDER BY e.commit_index DESC
            LIMIT 1) n
    ), ranged AS (
        -- At most 256 commits a range, so its offsets (4 bytes each) stay in the row, never in TOAST.
        SELECT n.*, (row_number() OVER (PARTITION BY n.run ORDER BY n.commit_id) - 1) / 256 AS chunk
        FROM numbered n
    ), ranges AS (
        SELECT max(r.commit_id) AS commit_id, min(r.commit_id) AS first_commit_id, count(*) AS commits,
               min(r.last_position - r.event_count + 1) AS first_position, max(r.last_position) AS last_position,
               array_agg(r.last_position - r.event_count + 1 ORDER BY r.commit_id) AS starts
        FROM ranged r
        GROUP BY r.run, r.chunk
    ), inserted AS (
        INSERT INTO ${flyway:defaultSchema}.commits (commit_id, first_position, last_position, first_commit_id, commit_offsets)
        SELECT g.commit_id, g.first_position, g.last_position,
               CASE WHEN g.commits > 1 THEN g.first_commit_id END,
               CASE WHEN g.commits > 1 THEN
                   (SELECT array_agg((s.start - g.first_position)::integer ORDER BY s.ord)
                    FROM unnest(g.starts) WITH ORDINALITY AS s(start, ord)) END
        FROM ranges g
    )
    SELECT max(n.last_position), array_agg(n.commit_id), max(n.commit_id) FILTER (WHERE n.commit_id > v_last_commit)
    INTO v_new_head, v_found, v_max_found
    FROM numbered n;
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


-- The status read keeps its look-up on the index for the same reason (see sequence_commits above).
ALTER FUNCTION ${flyway:defaultSchema}.sequencer_status() SET enable_seqscan = off;
ALTER FUNCTION ${flyway:defaultSchema}.sequencer_status() SET jit = off;
