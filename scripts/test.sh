#!/usr/bin/env bash
# Vigil's test command: installs what it needs, starts a throwaway PostgreSQL, runs every test, stops the server.
#
#   bash scripts/test.sh [extra swift test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

eval "$(bash scripts/pg-throwaway.sh start --fast)"
cleanup() { bash scripts/pg-throwaway.sh stop "$VIGIL_PG_DIR"; }
trap cleanup EXIT
echo "test PostgreSQL: $(psql "$DATABASE_URL" -Atc 'select version()' | cut -d, -f1) at ${DATABASE_URL}"

# The review console's browser test needs Chromium; it fails (never skips) without it, and so does this check.
command -v chromium >/dev/null || { echo "chromium is missing: the console browser test cannot run" >&2; exit 1; }
mkdir -p .artifacts/console

swift build --build-tests
if [ $# -gt 0 ]; then
    swift test --skip-build "$@"
else
    # Suites that run whole clusters of processes, a browser or thousands of requests run one at a time after the
    # rest, and timing-sensitive suites alone at the end: on two cores, running them beside everything else turns
    # their deadlines into a measure of the machine's load rather than of Vigil.
    heavy=(WorkerClusterTests AIWorkerProcessTests AITriageStepTests TriageAgentTests VigilDemoTests
        IngestFuzzTests LoaderFuzzTests ConsoleBrowserTests DatabaseOutageTests)
    skip=(--skip TimingTests)
    for suite in "${heavy[@]}"; do skip+=(--skip "$suite"); done
    swift test --skip-build "${skip[@]}"
    for suite in "${heavy[@]}"; do swift test --skip-build --filter "$suite"; done
    swift test --skip-build --filter TimingTests
fi
