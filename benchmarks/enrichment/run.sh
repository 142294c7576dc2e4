#!/usr/bin/env bash
# Enrichment benchmarks (release build, PostgreSQL with fsync on):
#  1. CloudTrail load rate: `vigil load cloudtrail` of COPIES perturbed copies of the shared events versus `psql \copy`
#     of exactly the rows it stored, into the same table (same indexes, partitions already there).
#  2. Tool latency p50/p99 after growing cloudtrail_event to TARGET events with generate.sql (`vigil bench tools`, which
#     ends with an A/B of lookup_ip_reputation's principals statement before and after migration 0015).
#
#   bash benchmarks/enrichment/run.sh [COPIES=30] [TARGET=10000000] [CALLS=500]
#
# COPIES=0 skips the load measurement, TARGET=0 the tool measurement. SCRATCH (default .build-enrich) is the
# SwiftPM scratch path of the release build; VIGIL_BIN=/path/to/vigil uses a binary built elsewhere instead (no build),
# e.g. an older commit's, for an A/B.
set -euo pipefail
cd "$(dirname "$0")/../.."
COPIES=${1:-30}
TARGET=${2:-10000000}
CALLS=${3:-500}
SCRATCH=${SCRATCH:-.build-enrich}
if [ -n "${VIGIL_BIN:-}" ]; then
    VIGIL="$VIGIL_BIN"
else
    swift build -c release --scratch-path "$SCRATCH" --product vigil >/dev/null
    VIGIL="$SCRATCH/release/vigil"
fi
WORK=$(mktemp -d /tmp/vigil-enrich-bench.XXXXXX)

eval "$(bash scripts/pg-throwaway.sh start)"   # no --fast: fsync on
cleanup() { bash scripts/pg-throwaway.sh stop "$VIGIL_PG_DIR"; rm -rf "$WORK"; }
trap cleanup EXIT
echo "PostgreSQL: $(psql "$DATABASE_URL" -Atc 'show server_version'), fsync=$(psql "$DATABASE_URL" -Atc 'show fsync')"
"$VIGIL" migrate >/dev/null
# Empties the events and the summaries the binary's schema has (an older binary's has fewer).
truncate_events() {
    psql "$DATABASE_URL" -qc "DO \$\$ BEGIN EXECUTE 'TRUNCATE ' || (SELECT string_agg(t, ', ') FROM unnest(ARRAY['cloudtrail_event',
        'cloudtrail_principal_activity', 'cloudtrail_address_activity']) t WHERE to_regclass(t) IS NOT NULL); END \$\$"
}

if [ "$COPIES" -gt 0 ]; then
echo "== load: $COPIES copies of the shared CloudTrail events"
python3 benchmarks/enrichment/replicate.py ../shared/data/cloudtrail "$WORK/copies" "$COPIES"
start=$(date +%s.%N)
"$VIGIL" load cloudtrail --quiet "$WORK"/copies/*.json
end=$(date +%s.%N)
events=$(psql "$DATABASE_URL" -Atc 'select count(*) from cloudtrail_event')
vigil_rate=$(python3 -c "print(round($events / ($end - $start)))")
psql "$DATABASE_URL" -qc "\\copy (SELECT * FROM cloudtrail_event) TO '$WORK/rows.copy'"
psql "$DATABASE_URL" -qc 'TRUNCATE cloudtrail_event'
psql "$DATABASE_URL" -qc 'CHECKPOINT'
start=$(date +%s.%N)
psql "$DATABASE_URL" -qc "\\copy cloudtrail_event FROM '$WORK/rows.copy'"
end=$(date +%s.%N)
copy_rate=$(python3 -c "print(round($events / ($end - $start)))")
echo "vigil load cloudtrail: $events events, $vigil_rate events/s"
echo "psql \\copy same rows:  $events events, $copy_rate events/s"
python3 -c "print('ratio vigil/psql: %.2f (target >= 0.70)' % ($vigil_rate / $copy_rate))"

echo "== memory: the same events as one gzip NDJSON file, loaded into empty tables"
python3 - "$WORK"/copies "$WORK/all.ndjson" <<'PY'
import glob, json, os, sys
with open(sys.argv[2], "w") as out:
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
        for record in json.load(open(path))["Records"]:
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
PY
gzip -1 "$WORK/all.ndjson"
truncate_events
/usr/bin/time -v "$VIGIL" load cloudtrail --quiet "$WORK/all.ndjson.gz" 2>"$WORK/time.txt"
echo "one file: $(stat -c %s "$WORK/all.ndjson.gz") bytes gzip, $(gzip -l "$WORK/all.ndjson.gz" | awk 'NR==2 {print $2}') bytes inflated;" \
    "vigil max RSS $(awk -F': ' '/Maximum resident/ {print $2}' "$WORK/time.txt") KiB"
fi
[ "$TARGET" -gt 0 ] || exit 0

echo "== tools: growing cloudtrail_event to about $TARGET events"
truncate_events
"$VIGIL" load cloudtrail --quiet ../shared/data/cloudtrail/stratus-red-team/*.json ../shared/data/cloudtrail/invictus-ir/*.json
start=$(date +%s)
psql "$DATABASE_URL" -q -v target="$TARGET" -f benchmarks/enrichment/generate.sql
echo "generated in $(( $(date +%s) - start )) s"
"$VIGIL" bench tools --calls "$CALLS"
