#!/usr/bin/env bash
# Shard-lease hand-over: how long a new worker set takes to split the shard leases evenly, and how long the leases of
# a worker stopped with SIGTERM stay unowned, against the lease tick (a third of the 30 s lease) that paced both
# before workers announced joins and releases on `vigil_leases`.
#
#   bash benchmarks/queue/handover.sh [--workers N (3)] [--rounds R (3)]
#   VIGIL_BIN=/path/to/vigil bash benchmarks/queue/handover.sh   # a binary built elsewhere (no build)
#
# Each round: a fresh database, N `vigil worker` processes (trivial step) started together, the `shard_lease` table
# polled every 100 ms until every shard is held under an unexpired lease by one of N owners whose counts differ by
# at most one; then the first worker gets SIGTERM and the table is polled until no lease is free, expired, or held
# by it.
set -euo pipefail
source "$(dirname "$0")/common.sh"  # build (or VIGIL_BIN), throwaway PostgreSQL with fsync on: BIN, DATABASE_URL
WORKERS=3
ROUNDS=3
while [ $# -gt 0 ]; do
    case "$1" in
    --workers) WORKERS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) echo "unknown option $1 (--workers N, --rounds R)" >&2; exit 64 ;;
    esac
done
TICK=10  # the default lease tick: 30 s leases / 3
URL="${DATABASE_URL%/*}/handover"
LOGS=$(mktemp -d)

# Polls SQL (a boolean) every 100 ms for up to 40 s; prints the seconds since START, or "never".
seconds_until() {
    local start=$1 sql=$2
    for _ in $(seq 1 400); do
        if [ "$(psql "$URL" -qAt -c "$sql" 2>/dev/null)" = t ]; then
            python3 -c "import time; print(f'{time.time() - $start:.2f}')"
            return
        fi
        sleep 0.1
    done
    echo never
}

for round in $(seq 1 "$ROUNDS"); do
    psql "$DATABASE_URL" -qAt -c "DROP DATABASE IF EXISTS handover" -c "CREATE DATABASE handover" >/dev/null 2>&1
    "$BIN" migrate --database-url "$URL" >/dev/null
    pids=()
    start=$(date +%s.%N)
    for i in $(seq 1 "$WORKERS"); do
        DATABASE_URL="$URL" "$BIN" worker --placeholder-work-ms 0 --log-level warning >"$LOGS/worker-$round-$i.log" 2>&1 &
        pids+=($!)
    done
    balanced=$(seconds_until "$start" "
        SELECT count(*) = $WORKERS AND max(n) - min(n) <= 1 AND sum(n) = (SELECT count(*) FROM shard_lease)
        FROM (SELECT owner, count(*) n FROM shard_lease WHERE owner IS NOT NULL AND expires_at > now() GROUP BY owner) s")
    kill -TERM "${pids[0]}"
    stopped=$(date +%s.%N)
    owned=$(seconds_until "$stopped" "
        SELECT count(*) = 0 FROM shard_lease
        WHERE owner IS NULL OR expires_at <= now() OR owner NOT IN (SELECT id FROM worker WHERE pid <> ${pids[0]})")
    ratio() { [ "$1" = never ] && echo "-" || python3 -c "print(f'{$1 / $TICK:.3f}')"; }
    echo "round $round: $WORKERS workers split the leases after $balanced s ($(ratio "$balanced")× the ${TICK} s lease tick);" \
        "the leases of one stopped with SIGTERM were owned again after $owned s ($(ratio "$owned")× the tick)"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait
done
