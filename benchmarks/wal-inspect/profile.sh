#!/bin/bash
# WAL of Nexus appends split by resource manager and relation, with pg_walinspect (PostgreSQL 15 contrib, no preload).
# usage: profile.sh DATABASE [APPENDS] [APPEND_SQL]
#   DATABASE: a scratch database with a migrated `nexus` schema (the script creates the extension).
#   APPENDS: how many appends to run (default 100); APPEND_SQL: single-append.sql (default, a new stream each),
#   batch-append.sql, or existing-stream-append.sql (one event to one of the 50 streams order-existing-0..49, which
#   the script creates first).
# Runs warm-up appends and a CHECKPOINT (so no full-page images), then APPENDS appends in autocommit and one
# sequence_commits(), and prints per append the records and bytes of that database and of the transactions that
# wrote there (other databases' WAL goes into the same stream and is left out). Full-page images are shown apart:
# how many there are depends on when the server last checkpointed, which other databases' load decides.
set -euo pipefail
DB=$1; N=${2:-100}; ONE=${3:-$(dirname "$0")/single-append.sql}
P="psql -h 127.0.0.1 -U postgres -q -X -d $DB"
$P -c "CREATE EXTENSION IF NOT EXISTS pg_walinspect" >/dev/null
$P -Atc "SELECT count(nexus.append_to_stream('order-existing-' || i, -1, ARRAY[gen_random_uuid()], ARRAY['order.created'],
                '[{}]', '[null]', ARRAY[NULL::uuid], ARRAY[NULL::uuid], ARRAY[NULL::text]))
         FROM generate_series(0, 49) i" >/dev/null
for i in $(seq 20); do $P -f "$ONE" >/dev/null; done
$P -Atc "SELECT nexus.sequence_commits()" >/dev/null
$P -Atc "CHECKPOINT"
for i in $(seq 20); do $P -f "$ONE" >/dev/null; done
$P -Atc "SELECT nexus.sequence_commits()" >/dev/null
START=$($P -Atc "SELECT pg_current_wal_insert_lsn()")
( for i in $(seq "$N"); do cat "$ONE"; done ) | $P >/dev/null
$P -Atc "SELECT nexus.sequence_commits()" >/dev/null
END=$($P -Atc "SELECT pg_current_wal_insert_lsn()")
MINE="r.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      OR r.xid IN (SELECT r2.xid FROM r r2
                   WHERE r2.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                     AND r2.xid <> '0'::xid)"
$P -c "
WITH r AS (
  SELECT w.*, (regexp_match(block_ref, 'rel \d+/\d+/(\d+)'))[1]::oid AS fn,
         (regexp_match(block_ref, 'rel \d+/(\d+)/'))[1]::oid AS dbid
  FROM pg_get_wal_records_info('$START', '$END') w)
SELECT resource_manager AS rm, coalesce(c.relname, r.fn::text, '-') AS rel, split_part(record_type, ' ', 1) AS type,
       round(count(*)::numeric / $N, 2) AS records_per_append, round(sum(record_length - fpi_length)::numeric / $N, 1) AS bytes_without_fpi,
       round(sum(fpi_length)::numeric / $N, 1) AS fpi_bytes
FROM r LEFT JOIN pg_class c ON c.relfilenode = r.fn
WHERE $MINE
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
$P -c "
WITH r AS (
  SELECT w.*, (regexp_match(block_ref, 'rel \d+/(\d+)/'))[1]::oid AS dbid
  FROM pg_get_wal_records_info('$START', '$END') w)
SELECT round(count(*)::numeric / $N, 2) AS records_per_append,
       round(sum(record_length - fpi_length)::numeric / $N, 1) AS bytes_without_fpi,
       round(sum(fpi_length)::numeric / $N, 1) AS fpi_bytes
FROM r WHERE $MINE"
