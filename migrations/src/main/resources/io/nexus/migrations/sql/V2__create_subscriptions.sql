-- Durable subscriptions and projections (issue 3). Every name is qualified with ${flyway:defaultSchema}.

-- One row per named durable subscription or projection: its checkpoint and the lease of its one owner.
-- The checkpoint advances with a compare-and-set on (position, fencing_token), so a worker whose lease was
-- taken over (a zombie) can never overwrite a newer checkpoint. Lease times are the server's clock.
CREATE TABLE ${flyway:defaultSchema}.subscriptions (
    name             text        NOT NULL,
    kind             text        NOT NULL DEFAULT 'subscription',
    position         bigint      NOT NULL DEFAULT 0,
    owner            text,
    fencing_token    bigint      NOT NULL DEFAULT 0,
    lease_expires_at timestamptz,
    status           text        NOT NULL DEFAULT 'active',
    last_error       text,
    last_error_at    timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subscriptions_pkey PRIMARY KEY (name),
    CONSTRAINT subscriptions_position_check CHECK (position >= 0),
    CONSTRAINT subscriptions_kind_check CHECK (kind IN ('subscription', 'projection')),
    CONSTRAINT subscriptions_status_check CHECK (status IN ('active', 'rebuilding', 'paused'))
);

-- Events a subscriber failed on after all retries, kept with the error until re-delivered or discarded.
CREATE TABLE ${flyway:defaultSchema}.dead_letters (
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    subscription text        NOT NULL,
    position     bigint      NOT NULL,
    event_id     uuid        NOT NULL,
    stream_id    text        NOT NULL,
    type         text        NOT NULL,
    attempts     integer     NOT NULL,
    error        text        NOT NULL,
    failed_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dead_letters_pkey PRIMARY KEY (id),
    CONSTRAINT dead_letters_subscription_event_id_key UNIQUE (subscription, event_id),
    CONSTRAINT dead_letters_subscription_fkey FOREIGN KEY (subscription)
        REFERENCES ${flyway:defaultSchema}.subscriptions (name) ON DELETE CASCADE,
    CONSTRAINT dead_letters_attempts_check CHECK (attempts >= 1)
);

CREATE INDEX dead_letters_subscription_position_idx
    ON ${flyway:defaultSchema}.dead_letters (subscription, position);

-- What operators look at: each subscription's checkpoint, the head, the lag, the owner and its lease.
CREATE VIEW ${flyway:defaultSchema}.subscription_status AS
SELECT s.name,
       s.kind,
       s.status,
       s.position                                          AS checkpoint,
       q.last_position                                     AS head,
       greatest(q.last_position - s.position, 0)           AS lag,
       s.owner,
       s.fencing_token,
       s.lease_expires_at,
       coalesce(s.lease_expires_at > now(), false)         AS lease_active,
       s.last_error,
       s.last_error_at,
       (SELECT count(*) FROM ${flyway:defaultSchema}.dead_letters d WHERE d.subscription = s.name) AS dead_letters,
       s.updated_at
FROM ${flyway:defaultSchema}.subscriptions s
CROSS JOIN ${flyway:defaultSchema}.sequencer q;
