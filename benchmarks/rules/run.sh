#!/usr/bin/env bash
# Differential conformance and benchmark of `vigil rules` against pySigma + pysigma-backend-sqlite.
#   benchmarks/rules/run.sh [conformance|bench|all]   (default: all)
# Needs python3 with venv and PyPI access (first run), and ../shared/data beside the repository
# (or VIGIL_SHARED_DATA). Builds vigil in release with its own scratch path.
set -euo pipefail
MODE=${1:-all}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${VIGIL_SHARED_DATA:-$ROOT/../shared/data}
[ -d "$SHARED/cloudtrail" ] || { echo "shared data not found at $SHARED" >&2; exit 1; }
VENV=$ROOT/.venv-rules
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check 'pysigma==2.0.1' 'pysigma-backend-sqlite==2.1.1'
# VIGIL_BIN names an already-built vigil (CI passes its debug build for the conformance check);
# otherwise build in release into the shared benchmark scratch path.
if [ -n "${VIGIL_BIN:-}" ]; then
    VIGIL=$VIGIL_BIN
else
    SCRATCH=$ROOT/.build-release
    swift build -c release --scratch-path "$SCRATCH" --product vigil >&2
    VIGIL=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/vigil
fi
status=0
if [ "$MODE" = conformance ] || [ "$MODE" = all ]; then
    "$VENV/bin/python" "$ROOT/benchmarks/rules/oracle.py" conformance --vigil "$VIGIL" --shared "$SHARED" || status=1
fi
if [ "$MODE" = bench ] || [ "$MODE" = all ]; then
    # One core: the engine is single-threaded; taskset pins both sides when available.
    PIN=""
    if command -v taskset >/dev/null; then PIN="taskset -c 0"; fi
    $PIN "$VENV/bin/python" "$ROOT/benchmarks/rules/oracle.py" bench --vigil "$VIGIL" --shared "$SHARED" \
        --events "${BENCH_EVENTS:-1000000}" || status=1
fi
exit $status
