#!/usr/bin/env bash
# HTTP ingest (NDJSON batches of 1,000 through a coordinator) vs psql \copy of the same alerts; fsync on.
#   bash benchmarks/ingest/run.sh [--alerts N] [--concurrency N] [--rounds N]
#   VIGIL_BIN=/path/to/vigil bash benchmarks/ingest/run.sh    # a binary built elsewhere (no build), e.g. for an A/B run
#   SCRATCH=.build-queue-release bash benchmarks/ingest/run.sh     # another SwiftPM scratch path (default .build-release)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/install-deps.sh
SCRATCH=${SCRATCH:-.build-release}
V=${VIGIL_BIN:-}
if [ -z "$V" ]; then
    swift build -c release --scratch-path "$SCRATCH" --product vigil
    V=$SCRATCH/release/vigil
fi
eval "$(bash scripts/pg-throwaway.sh start)"
coordinator=""
cleanup() {
    [ -n "$coordinator" ] && kill "$coordinator" 2>/dev/null && wait "$coordinator" 2>/dev/null
    bash scripts/pg-throwaway.sh stop "$VIGIL_PG_DIR"
}
trap cleanup EXIT
$V migrate --shards 64 >/dev/null
token=$($V token create --name bench --scope ingest)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$V coordinator --listen 127.0.0.1:$port --backlog-high-water 100000000 >/tmp/vigil-bench-coordinator.log 2>&1 &
coordinator=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
$V bench ingest --url http://127.0.0.1:$port --token "$token" "$@"
