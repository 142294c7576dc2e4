# The queue benchmarks' shared preamble, sourced (after `set -euo pipefail`) by run.sh and statements.sh:
#
#   source "$(dirname "$0")/common.sh"
#
# It changes to the repository root (ROOT, absolute), then
#   - builds `vigil` in release under SCRATCH (default .build) unless VIGIL_BIN names a binary built elsewhere
#     (a relative VIGIL_BIN is read from the repository root), and sets BIN to the binary's absolute path;
#   - makes the virtual environment .venv-queue (PgQueuer 1.6.0, asyncpg) when it is missing, and sets PYTHON to
#     its interpreter;
#   - starts a throwaway PostgreSQL with fsync on (scripts/pg-throwaway.sh exports DATABASE_URL, VIGIL_PG_DIR and
#     VIGIL_PG_BIN) and stops it when the script exits (an EXIT trap).
# Migrating is left to the caller, which may configure and restart the server first.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
SCRATCH=${SCRATCH:-.build}
BIN=${VIGIL_BIN:-}
if [ -z "$BIN" ]; then
    swift build -c release --scratch-path "$SCRATCH" --product vigil
    BIN="$SCRATCH/release/vigil"
fi
case "$BIN" in
/*) ;;
*) BIN="$ROOT/$BIN" ;;
esac
if [ ! -x .venv-queue/bin/python ]; then
    python3 -m venv .venv-queue
    .venv-queue/bin/pip install -q 'pgqueuer==1.6.0' asyncpg
fi
PYTHON="$ROOT/.venv-queue/bin/python"
eval "$(bash scripts/pg-throwaway.sh start)"
trap 'bash "$ROOT/scripts/pg-throwaway.sh" stop "$VIGIL_PG_DIR"' EXIT
