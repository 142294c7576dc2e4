#!/usr/bin/env bash
# End-to-end triage benchmark: `vigil bench e2e` (release build) against its own PostgreSQL (fsync on), the LLM
# simulator (log-normal latency, median 1.5 s) and 1, 2, 4, 8 worker processes; writes results.json, report.md and
# SVG charts to benchmarks/e2e/results/ (about 10-12 minutes).
#
#   bash benchmarks/e2e/run.sh [vigil bench e2e options: --workers 1,2,4,8 --throughput-seconds 60 …]
#   SCRATCH=.build-enrich bash benchmarks/e2e/run.sh       # another SwiftPM scratch path (default .build-release)
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH=${SCRATCH:-.build-release}
swift build -c release --scratch-path "$SCRATCH" --product vigil
vigil="$SCRATCH/release/vigil"
eval "$(bash scripts/pg-throwaway.sh start)"
trap 'bash scripts/pg-throwaway.sh stop "$VIGIL_PG_DIR"' EXIT
args=()
if "$vigil" worker --help 2>/dev/null | grep -q -- '--llm-concurrency'; then
    # The AI path: 16 model calls in flight per worker; the tools' windows anchored at each (replayed) alert's time;
    # in the rate-limited phase the cluster-wide limiter at the simulator's limit, with the same one-second burst.
    args+=("--worker-arguments=--llm-concurrency 16 --llm-tools-clock alert")
    args+=("--limited-worker-arguments=--llm-rpm 3000 --llm-itpm 100000000 --llm-otpm 100000000 --llm-burst-seconds 1")
fi
"$vigil" bench e2e --database-url "$DATABASE_URL" --output benchmarks/e2e/results "${args[@]}" "$@"
