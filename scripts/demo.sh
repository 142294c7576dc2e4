#!/usr/bin/env bash
# Vigil's main job on an embedded default: installs what it needs, builds Vigil, and runs `vigil demo`: a private
# PostgreSQL under .vigil/ (unless DATABASE_URL is set), the LLM simulator (unless a real provider is configured),
# a coordinator and worker processes, fed with the CloudTrail data in ../shared/data (or the built-in sample).
#   bash scripts/demo.sh [vigil demo options: --workers N, --serve, --reset, …]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --scratch-path .build-release --product vigil
exec .build-release/release/vigil demo "$@"
