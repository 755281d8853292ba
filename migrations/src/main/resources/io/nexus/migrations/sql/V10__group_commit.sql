-- Group commit (issue 10, ADR 0016): a store writes the appends its callers make at the same time in one transaction,
-- one round trip and one WAL flush for the group instead of one each. Each append keeps its own commit id, its own
-- expected-version check and its own idempotency check: this function only calls append_to_stream once per append,
-- in the order given.

-- Appends to several streams in one transaction (the caller's statement), each append exactly as append_to_stream
-- does it. p_counts[i] is the number of events of the i-th append; the event arrays hold every append's events one
-- after another, and p_data and p_metadata hold one JSON array per append (an array of arrays). Returns one row per
-- append, in the order given. Any error (a wrong expected version, a duplicate, a lock wait past p_lock_timeout)
-- aborts the whole group: the store then makes each append on its own, so a group never changes an outcome.
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
    v_from integer := 1;
    v_to   integer;
BEGIN
    IF cardinality(p_expected) <> cardinality(p_stream_ids) OR cardinality(p_counts) <> cardinality(p_stream_ids)
       OR jsonb_array_length(p_data) <> cardinality(p_stream_ids)
       OR jsonb_array_length(p_metadata) <> cardinality(p_stream_ids) THEN
        RAISE EXCEPTION '% streams but % expected versions, % counts, % payload arrays and % metadata arrays',
            cardinality(p_stream_ids), cardinality(p_expected), cardinality(p_counts),
            jsonb_array_length(p_data), jsonb_array_length(p_metadata)
            USING ERRCODE = '22023';
    END IF;
    -- A group must not wait long on a stream row another transaction holds: its other appends would wait with it.
    -- Past the timeout the group fails (55P03) and each append waits on its own, only for its own stream.
    PERFORM set_config('lock_timeout', p_lock_timeout, true);
    FOR i IN 1 .. cardinality(p_stream_ids) LOOP
        v_to := v_from + p_counts[i] - 1;
        RETURN QUERY
        SELECT a.first_version, a.next_expected_version, a.commit_id
        FROM ${flyway:defaultSchema}.append_to_stream(
            p_stream_ids[i], p_expected[i], p_event_ids[v_from:v_to], p_types[v_from:v_to], p_data -> (i - 1),
            p_metadata -> (i - 1), p_correlation_ids[v_from:v_to], p_causation_ids[v_from:v_to],
            p_sources[v_from:v_to]) a;
        v_from := v_to + 1;
    END LOOP;
END
$$;
