#!/usr/bin/env bash
# Where a worked job's database time goes: one timed `vigil worker` run of the queue benchmark with
# pg_stat_statements (per statement: calls, rows, execution and planning time per job), table write counters
# (HOT updates), WAL per job, and the CPU time of the server and of the workers per job.
#
#   bash benchmarks/queue/statements.sh [--jobs N] [--workers N] [--runs N] [--worker-args "..."]
#   SCRATCH=.build-core-release bash benchmarks/queue/statements.sh --jobs 50000 --workers 4
#   VIGIL_BIN=/path/to/vigil bash benchmarks/queue/statements.sh      # a binary built elsewhere (no build)
set -euo pipefail
source "$(dirname "$0")/common.sh"  # build (or VIGIL_BIN), virtual environment, throwaway PostgreSQL: BIN, PYTHON
printf "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track_planning = on\n" >> "$VIGIL_PG_DIR/data/postgresql.conf"
owner=()
[ "$(id -u)" = 0 ] && owner=(runuser -u postgres --)
"${owner[@]}" "$VIGIL_PG_BIN/pg_ctl" -D "$VIGIL_PG_DIR/data" -w restart > /dev/null
"$BIN" migrate --database-url "$DATABASE_URL"
postmaster=$(head -1 "$VIGIL_PG_DIR/data/postmaster.pid")
cd benchmarks/queue
"$PYTHON" statements.py --vigil "$BIN" --dsn "$DATABASE_URL" --postmaster "$postmaster" "$@"
