-- Snapshots of folded state (aggregates, long-lived sagas), issue 11. Every name is qualified with
-- ${flyway:defaultSchema}. A table of its own: snapshots never mix into the event streams, and removing
-- them all loses nothing (state is rebuilt from the events).

-- One row per (stream, snapshot type): the latest usable snapshot. A save replaces the row only with a
-- newer schema version, or the same schema version at a later stream version, so racing writers and a
-- rolling deployment never move a snapshot backwards. See doc/adr/0011.
CREATE TABLE ${flyway:defaultSchema}.snapshots (
    stream_id      text        NOT NULL,
    snapshot_type  text        NOT NULL,
    stream_version bigint      NOT NULL,
    schema_version integer     NOT NULL,
    state          jsonb       NOT NULL,
    taken_at       timestamptz NOT NULL,
    CONSTRAINT snapshots_pkey PRIMARY KEY (stream_id, snapshot_type),
    CONSTRAINT snapshots_stream_version_check CHECK (stream_version >= 1),
    CONSTRAINT snapshots_schema_version_check CHECK (schema_version >= 0)
);
