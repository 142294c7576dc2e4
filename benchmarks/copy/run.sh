#!/usr/bin/env bash
# Bulk load: Vigil's COPY path vs psql \copy, same rows, same server (fsync on), one run.
#   bash benchmarks/copy/run.sh [--rows N] [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/install-deps.sh
swift build -c release --scratch-path .build-release --product vigil
eval "$(bash scripts/pg-throwaway.sh start)"
trap 'bash scripts/pg-throwaway.sh stop "$VIGIL_PG_DIR"' EXIT
.build-release/release/vigil bench copy --database-url "$DATABASE_URL" "$@"
