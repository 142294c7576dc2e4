#!/usr/bin/env bash
# Vigil's main job on an embedded default: installs what it needs, builds Vigil, starts a private
# PostgreSQL under .vigil/ and runs the main command against it.
#   bash scripts/demo.sh [extra arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --scratch-path .build-release --product vigil
exec .build-release/release/vigil doctor --embedded "$@"
