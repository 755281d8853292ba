#!/bin/bash
# Server-only cost of one single-event append, without the JVM: pgbench against a scratch database (ADR 0001, "V10").
# usage: run.sh DATABASE [CLIENTS] [SECONDS]
#   DATABASE: a scratch database; the script migrates nothing itself: run `nexus migrate --jdbc-url
#   'jdbc:postgresql://127.0.0.1:5432/DATABASE?user=postgres'` first (schema nexus). It creates the baseline's
#   minimal table in schema raw if missing, analyzes, then runs each script with synchronous_commit off (CPU, not
#   fsync) and, for the Nexus scripts, a second client sequencing 200 times a second as the store's thread would.
set -euo pipefail
DB=$1; CLIENTS=${2:-16}; SECONDS_EACH=${3:-8}
cd "$(dirname "$0")"
P="psql -h 127.0.0.1 -U postgres -qX -d $DB"
$P -c "CREATE SCHEMA IF NOT EXISTS raw" -c "CREATE TABLE IF NOT EXISTS raw.events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream_id text NOT NULL, version bigint NOT NULL,
    event_id uuid NOT NULL UNIQUE, type text NOT NULL, payload jsonb NOT NULL, metadata jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(), UNIQUE (stream_id, version))"
$P -c "SELECT nexus.sequence_commits()" -c "ANALYZE" >/dev/null
export PGOPTIONS="-c synchronous_commit=off"
for script in baseline-begin-insert-commit baseline-insert nexus-table-insert append-to-stream; do
    if [[ $script != baseline-* ]]; then
        pgbench -h 127.0.0.1 -U postgres -n -M prepared -c 1 -R 200 -T "$SECONDS_EACH" -f sequence-commits.sql "$DB" \
            >/dev/null 2>&1 &
    fi
    printf '%-30s ' "$script"
    pgbench -h 127.0.0.1 -U postgres -n -M prepared -c "$CLIENTS" -j 2 -T "$SECONDS_EACH" -f "$script.sql" "$DB" 2>&1 \
        | grep -E '^tps'
    wait
done
