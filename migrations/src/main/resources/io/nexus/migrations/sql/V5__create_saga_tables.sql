-- Sagas (issue 11). Every name is qualified with ${flyway:defaultSchema}. A saga's state is not here: it is the
-- fold of its own stream (saga-<type>-<id>) in events. These tables hold only what is not history.

-- Deadlines a saga instance set and that have not fired or been cancelled yet. Written, deleted and fired in the
-- transaction of the saga step that set, cancelled or handled them, fenced by the lease of the instance's partition.
-- due_at is the saga worker's clock (java.time.Clock), so tests can move time without sleeping.
CREATE TABLE ${flyway:defaultSchema}.saga_deadlines (
    saga_type  text        NOT NULL,
    saga_id    text        NOT NULL,
    name       text        NOT NULL,
    partition  integer     NOT NULL,
    due_at     timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT saga_deadlines_pkey PRIMARY KEY (saga_type, saga_id, name),
    CONSTRAINT saga_deadlines_partition_check CHECK (partition >= 0)
);

-- The firing query: the due deadlines of one partition, earliest first.
CREATE INDEX saga_deadlines_saga_type_partition_due_at_idx
    ON ${flyway:defaultSchema}.saga_deadlines (saga_type, partition, due_at);

-- The saga workers alive, by their heartbeat (the server's clock): each worker of a saga type owns at most
-- ceil(partitions / live workers) partitions, so a worker that joins gets a share and one that dies leaves its share.
CREATE TABLE ${flyway:defaultSchema}.saga_workers (
    saga_type    text        NOT NULL,
    worker       text        NOT NULL,
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT saga_workers_pkey PRIMARY KEY (saga_type, worker)
);
