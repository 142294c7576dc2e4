#!/usr/bin/env bash
# Input fuzzing alone: hostile ingest bodies against a coordinator on a live socket, and corrupted files through
# every loader, on a throwaway PostgreSQL. The same tests run in CI (scripts/test.sh) at their default size.
#
#   bash benchmarks/fuzz/run.sh                   # 10,000 bodies, 20 files of 40 records per loader kind, seed 20261127
#   bash benchmarks/fuzz/run.sh 100000 7          # 100,000 bodies with seed 7
#   SCRATCH=.build-queue bash benchmarks/fuzz/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export VIGIL_FUZZ_BODIES=${1:-10000}
export VIGIL_FUZZ_SEED=${2:-20261127}
eval "$(bash scripts/pg-throwaway.sh start --fast)"
trap 'bash scripts/pg-throwaway.sh stop "$VIGIL_PG_DIR"' EXIT
swift test ${SCRATCH:+--scratch-path "$SCRATCH"} --filter 'IngestFuzzTests|LoaderFuzzTests'
