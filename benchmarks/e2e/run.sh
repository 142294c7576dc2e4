#!/usr/bin/env bash
# End-to-end triage benchmark: `vigil bench e2e` (release build) against its own PostgreSQL (fsync on), the LLM
# simulator (log-normal latency, median 1.5 s) and 1, 2, 4, 8 worker processes; writes results.json, report.md and
# SVG charts to benchmarks/e2e/results/ (about 14-16 minutes with the defaults below).
#
#   bash benchmarks/e2e/run.sh [vigil bench e2e options: --workers 1,2,4,8 --throughput-seconds 60 …]
#   SCRATCH=.build-enrich bash benchmarks/e2e/run.sh       # another SwiftPM scratch path (default .build-release)
#
# Defaults sized for a 2-core machine that also runs PostgreSQL, the coordinator, the simulator and up to 8 workers:
# 16 alerts and 16 model calls in flight per worker, as `vigil demo` runs them (128 at 8 workers, about 24 alerts/s at
# the simulator's 1.5 s median), so 8 workers stay LLM-bound instead of CPU-bound, and at half the saturated throughput
# few alerts wait for a slot (Erlang C about 1%, against about 6% with 8 slots: README, "Sizing workers for latency");
# phases of 30 s (throughput), 20 s or 400 alerts, whichever is later (latency) and 40 s (rate-limited); the rate-limited phase at 1200 requests/minute,
# below what 8 such workers ask for (about 70 calls/s), so the limit, not the demand, sets the pace. Later options
# override these (pass your own --max-in-flight, --worker-arguments…).
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH=${SCRATCH:-.build-release}
[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --scratch-path "$SCRATCH" --product vigil
vigil="$SCRATCH/release/vigil"
eval "$(bash scripts/pg-throwaway.sh start)"
trap 'bash scripts/pg-throwaway.sh stop "$VIGIL_PG_DIR"' EXIT
# Latency is commit to commit: the server records commit timestamps (a restart applies it; pg_ctl keeps the options),
# and times its WAL flushes (a commit timestamp is taken before its commit's flush; the report shows the mean flush).
psql "$DATABASE_URL" -qc "ALTER SYSTEM SET track_commit_timestamp = on" -c "ALTER SYSTEM SET track_wal_io_timing = on"
if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$VIGIL_PG_BIN/pg_ctl" -D "$VIGIL_PG_DIR/data" -l "$VIGIL_PG_DIR/server.log" -w restart >/dev/null
else
    "$VIGIL_PG_BIN/pg_ctl" -D "$VIGIL_PG_DIR/data" -l "$VIGIL_PG_DIR/server.log" -w restart >/dev/null
fi
args=(--max-in-flight 16 --throughput-seconds 30 --latency-seconds 20 --limited-seconds 40 --limited-rpm 1200)
# (Read the help first: `grep -q` closing the pipe early makes `vigil` die of SIGPIPE, and pipefail then drops the
# worker arguments at random.)
worker_help=$("$vigil" worker --help 2>/dev/null || true)
if grep -q -- '--llm-concurrency' <<<"$worker_help"; then
    # The AI path: 16 model calls in flight per worker (as many as jobs); the tools' windows anchored at each (replayed)
    # alert's time; in the rate-limited phase the cluster-wide limiter at the simulator's limit, same one-second burst.
    args+=("--worker-arguments=--llm-concurrency 16 --llm-tools-clock alert")
    args+=("--limited-worker-arguments=--llm-rpm 1200 --llm-itpm 100000000 --llm-otpm 100000000 --llm-burst-seconds 1")
fi
"$vigil" bench e2e --database-url "$DATABASE_URL" --output benchmarks/e2e/results "${args[@]}" "$@"
