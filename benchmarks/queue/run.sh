#!/usr/bin/env bash
# Queue benchmark: worked jobs/s of `vigil worker` (1/2/4 processes, trivial step) vs PgQueuer (no-op entrypoint,
# several batch sizes, best taken) on one PostgreSQL with fsync on, in one run; then Vigil's idle
# commit-to-claim latency via LISTEN/NOTIFY.
#
#   bash benchmarks/queue/run.sh [--jobs N] [--big-run N] [other bench.py options]
#   SCRATCH=.build-worker bash benchmarks/queue/run.sh     # another SwiftPM scratch path
#   VIGIL_BIN=/path/to/vigil bash benchmarks/queue/run.sh  # a binary built elsewhere (no build), e.g. an older commit's
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH=${SCRATCH:-.build}
BIN=${VIGIL_BIN:-}
if [ -z "$BIN" ]; then
    swift build -c release --scratch-path "$SCRATCH" --product vigil
    BIN="$SCRATCH/release/vigil"
fi
if [ ! -x .venv-queue/bin/python ]; then
    python3 -m venv .venv-queue
    .venv-queue/bin/pip install -q 'pgqueuer==1.6.0' asyncpg
fi
eval "$(bash scripts/pg-throwaway.sh start)"
trap 'bash scripts/pg-throwaway.sh stop "$VIGIL_PG_DIR"' EXIT
"$BIN" migrate --database-url "$DATABASE_URL"
.venv-queue/bin/python benchmarks/queue/bench.py --vigil "$BIN" --dsn "$DATABASE_URL" "$@"
