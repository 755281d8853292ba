-- Re-delivery of a dead letter asked for from outside the process that runs its subscription (issue 13, ADR 0015):
-- `nexus dead-letters retry` records the request here; the process holding the subscription's lease finds it (polled
-- every flush interval), re-delivers the event in a transaction fenced by its lease, and then deletes the dead letter
-- (handled) or clears the request and adds the attempts (failed again). NULL: no retry asked for.
ALTER TABLE ${flyway:defaultSchema}.dead_letters ADD COLUMN retry_requested_at timestamptz;

-- The owners' poll reads only the requests still pending, a handful of rows at most.
CREATE INDEX dead_letters_retry_requested_idx
    ON ${flyway:defaultSchema}.dead_letters (subscription, position)
    WHERE retry_requested_at IS NOT NULL;
