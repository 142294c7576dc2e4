#!/usr/bin/env bash
# Queue benchmark: worked jobs/s of `vigil worker` (1/2/4 processes, trivial step) vs PgQueuer (no-op entrypoint,
# several batch sizes, best taken) on one PostgreSQL with fsync on, in one run; then Vigil's idle
# commit-to-claim latency via LISTEN/NOTIFY.
#
#   bash benchmarks/queue/run.sh [--jobs N] [--big-run N] [other bench.py options]
#   SCRATCH=.build-worker bash benchmarks/queue/run.sh     # another SwiftPM scratch path
#   VIGIL_BIN=/path/to/vigil bash benchmarks/queue/run.sh  # a binary built elsewhere (no build), e.g. an older commit's
set -euo pipefail
source "$(dirname "$0")/common.sh"  # build (or VIGIL_BIN), virtual environment, throwaway PostgreSQL: BIN, PYTHON
"$BIN" migrate --database-url "$DATABASE_URL"
"$PYTHON" benchmarks/queue/bench.py --vigil "$BIN" --dsn "$DATABASE_URL" "$@"
