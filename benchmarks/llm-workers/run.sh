#!/usr/bin/env bash
# Cluster-wide LLM rate limit with real worker processes: 8 `vigil worker` processes with the AI step against
# `vigil llm-sim --rpm 600` for 2 minutes with a deep backlog, then a forced 429 storm and the recovery after it.
# Reports utilisation and the 429 rate from the simulator's GET /stats.
#
#   bash benchmarks/llm-workers/run.sh [bench.py options: --workers 8 --rpm 600 --seconds 120 --storm-seconds 20 ...]
#   SCRATCH=.build-release bash benchmarks/llm-workers/run.sh     # another SwiftPM scratch path (default .build-llm-release)
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH=${SCRATCH:-.build-llm-release}
swift build -c release --scratch-path "$SCRATCH" --product vigil
eval "$(bash scripts/pg-throwaway.sh start --fast)"
trap 'bash scripts/pg-throwaway.sh stop "$VIGIL_PG_DIR"' EXIT
python3 benchmarks/llm-workers/bench.py --vigil "$SCRATCH/release/vigil" --dsn "$DATABASE_URL" \
    --data ../shared/data/cloudtrail "$@"
