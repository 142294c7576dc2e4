#!/usr/bin/env bash
# MONITOR-recurrence overhead at the verdict write: seconds for one `vigil worker --triage placeholder` to finish N
# jobs (5,000 distinct principals) with the watch list off (--monitor-window-hours 0: one completion statement per
# batch) and on (24: a transaction per batch that locks the batch's subjects, then the completion statement); then on
# with WATCHES open watch-list rows of other alerts about the same principals already there (written before the run,
# occurred now), so that each principal's first completion is a recurrence that escalates those rows.
#
#   bash benchmarks/queue/recurrence-overhead.sh                      # release build, N=20000, WATCHES=100000
#   CONFIG=debug SCRATCH=.build-worker N=10000 bash benchmarks/queue/recurrence-overhead.sh
#   VIGIL_BIN=/path/to/vigil bash benchmarks/queue/recurrence-overhead.sh   # a binary built elsewhere (no build)
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH=${SCRATCH:-.build}
CONFIG=${CONFIG:-release}
N=${N:-20000}
WATCHES=${WATCHES:-100000}
BIN=${VIGIL_BIN:-}
if [ -z "$BIN" ]; then
    swift build -c "$CONFIG" --scratch-path "$SCRATCH" --product vigil
    BIN="$SCRATCH/$CONFIG/vigil"
fi
eval "$(bash scripts/pg-throwaway.sh start)"
trap 'bash scripts/pg-throwaway.sh stop "$VIGIL_PG_DIR"' EXIT
base="${DATABASE_URL%/postgres}"
for run in 0:0 24:0 24:$WATCHES 0:0 24:0 24:$WATCHES; do
    window=${run%%:*}
    watches=${run##*:}
    psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS rbench" -c "CREATE DATABASE rbench"
    url="$base/rbench"
    "$BIN" migrate --shards 16 --database-url "$url" > /dev/null
    psql "$url" -qc "
        WITH a AS (
            INSERT INTO alert (shard, id, source, external_id, kind, severity, occurred_at, principal, payload)
            SELECT g % 16, gen_random_uuid(), 'b', 'e' || g, 'k', 'low', now(), 'user-' || (g % 5000), '{}'
            FROM generate_series(1, $N) g RETURNING shard, id)
        INSERT INTO triage_job (shard, alert_id) SELECT shard, id FROM a"
    psql "$url" -qc "
        INSERT INTO monitor_watch (subject, alert_id, shard, occurred_at)
        SELECT 'principal:user-' || (g % 5000), gen_random_uuid(), g % 16, now() FROM generate_series(1, $watches) g" -c "VACUUM ANALYZE"
    start=$(date +%s.%N)
    "$BIN" worker --database-url "$url" --triage placeholder --monitor-window-hours "$window" --log-level warning > /dev/null 2>&1 &
    pid=$!
    while [ "$(psql "$url" -Atc 'SELECT count(*) FROM verdict')" -lt "$N" ]; do sleep 0.2; done
    end=$(date +%s.%N)
    kill -TERM "$pid"
    wait "$pid" || true
    escalated=$(psql "$url" -Atc "SELECT count(*) FROM verdict WHERE 'monitor_recurrence' = ANY (flags)")
    python3 -c "print(f'window={$window}h open_watches={$watches} jobs=$N recurrences=$escalated seconds={$end - $start:.2f} jobs_per_s={$N / ($end - $start):.0f}')"
done
