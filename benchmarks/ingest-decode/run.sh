#!/bin/sh
# Builds VigilCore's sources with this benchmark in release mode and runs it.
# Usage: benchmarks/ingest-decode/run.sh   (from the package root; shared data at ../shared/data)
set -e
cd "$(dirname "$0")/../.."
out="${TMPDIR:-/tmp}/vigil-ingest-decode-bench"
swiftc -O -wmo -module-name IngestDecodeBench -o "$out" $(find Sources/VigilCore -name '*.swift') benchmarks/ingest-decode/main.swift
"$out" ../shared/data
