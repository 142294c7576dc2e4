#!/usr/bin/env bash
# Vigil's fault-injection suite: 20,000 alerts through `vigil ingest` into a coordinator and worker processes
# on a throwaway PostgreSQL (fsync on), while workers are SIGKILLed and restarted every few seconds and
# PostgreSQL is restarted mid-run (plus, with --ai, the LLM simulator stopped for 30 s and a 429 storm).
# Exits non-zero when an acknowledged alert is lost or a verdict duplicated. Report: results/report.json.
#
#   bash benchmarks/chaos/run.sh                 # the full run (debug build unless VIGIL_BIN is given)
#   bash benchmarks/chaos/run.sh --reduced       # the CI size: 2,000 alerts, fsync off, about a minute
#   bash benchmarks/chaos/run.sh --ai            # the AI path against vigil llm-sim, with the simulator faults
#   VIGIL_BIN=.build-release/release/vigil bash benchmarks/chaos/run.sh [chaos.py options]
set -euo pipefail
cd "$(dirname "$0")/../.."
args=()
for arg in "$@"; do
    if [ "$arg" = "--reduced" ]; then
        args+=(--alerts 2000 --chunks 16 --batch-size 100 --ingest-pause 0.3 --workers 2 --shards 16 --kill-min 2 --kill-max 4
            --pg-restart-at 6 --sim-stop-at 8 --sim-stop-seconds 10 --storm-at 22 --storm-seconds 5 --fast --timeout 240
            --out benchmarks/chaos/results-reduced)
    else
        args+=("$arg")
    fi
done
if [ -z "${VIGIL_BIN:-}" ]; then
    swift build --product vigil ${SCRATCH:+--scratch-path "$SCRATCH"}
    VIGIL_BIN="$(swift build ${SCRATCH:+--scratch-path "$SCRATCH"} --show-bin-path)/vigil"
fi
exec python3 benchmarks/chaos/chaos.py --vigil "$VIGIL_BIN" "${args[@]+"${args[@]}"}"
