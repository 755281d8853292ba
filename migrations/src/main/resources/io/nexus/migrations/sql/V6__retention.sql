-- Retention that never loses an unprocessed event (issue 12, ADR 0008). Every name is qualified with
-- ${flyway:defaultSchema}. Nothing here is written by the append path: appends never wait on retention.

-- Where a stream's history starts once retention removed its oldest events. Written only by the retention
-- path, in the transaction of the batch that removed them; a forward read from an older version fails with
-- StreamTruncatedException naming first_version. A separate table and not a column of streams, so that
-- retention never takes the stream row lock that appends take.
CREATE TABLE ${flyway:defaultSchema}.stream_truncations (
    stream_id     text        NOT NULL,
    first_version bigint      NOT NULL,
    truncated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stream_truncations_pkey PRIMARY KEY (stream_id),
    CONSTRAINT stream_truncations_first_version_check CHECK (first_version >= 2)
);

-- One row: the highest global position retention ever removed. A subscriber that skipped positions asks
-- whether any were removed; below this mark there is nothing to count, so the question costs one row read.
CREATE TABLE ${flyway:defaultSchema}.retention_state (
    id                   smallint    NOT NULL DEFAULT 1,
    max_removed_position bigint      NOT NULL DEFAULT 0,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT retention_state_pkey PRIMARY KEY (id),
    CONSTRAINT retention_state_single_row_check CHECK (id = 1)
);
INSERT INTO ${flyway:defaultSchema}.retention_state (id) VALUES (1);

-- A subscriber (durable subscription, projection, saga: any row) that found events removed after its
-- checkpoint records how many, and when it last did; its status view shows them.
ALTER TABLE ${flyway:defaultSchema}.subscriptions
    ADD COLUMN removed_events    bigint NOT NULL DEFAULT 0,
    ADD COLUMN removed_events_at timestamptz,
    ADD CONSTRAINT subscriptions_removed_events_check CHECK (removed_events >= 0);
