#!/usr/bin/env bash
# A verdict's row with a real triage document (verdict-triage-sample.json: an AI verdict's from `vigil bench e2e`,
# about 4 KB of JSON): inserts into a copy of `verdict` with PostgreSQL's defaults for its JSON columns (pglz,
# EXTENDED) against a copy as migration 13 leaves them (lz4, MAIN). fsync on; a CHECKPOINT before each load; the
# loads alternate (default, migrated, migrated, default, …); each load is one statement of N one-row inserts
# (static SQL in a PL/pgSQL loop, so planned once).
# Prints µs per row for each load, the medians and their ratio, and the bytes per row on disk.
#
#   bash benchmarks/queue/verdict-storage.sh [--rows N] [--rounds N]
#   VIGIL_BIN=/path/to/vigil bash benchmarks/queue/verdict-storage.sh     # a binary built elsewhere (no build)
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=2000
rounds=6
while [ $# -gt 0 ]; do
    case "$1" in
    --rows) rows=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
V=${VIGIL_BIN:-}
if [ -z "$V" ]; then
    swift build -c release --scratch-path "${SCRATCH:-.build-release}" --product vigil
    V=${SCRATCH:-.build-release}/release/vigil
fi
eval "$(bash scripts/pg-throwaway.sh start)"
trap 'bash scripts/pg-throwaway.sh stop "$VIGIL_PG_DIR"' EXIT
"$V" migrate --database-url "$DATABASE_URL" --shards 64 >/dev/null
doc=$(cat benchmarks/queue/verdict-triage-sample.json)
sql() { psql "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 -v doc="$doc" "$@"; }
sql <<'SQL'
CREATE TABLE v_default (LIKE verdict INCLUDING ALL);
ALTER TABLE v_default ALTER COLUMN triage SET COMPRESSION pglz, ALTER COLUMN evidence SET COMPRESSION pglz,
    ALTER COLUMN triage SET STORAGE EXTENDED, ALTER COLUMN evidence SET STORAGE EXTENDED;
CREATE TABLE v_migrated (LIKE verdict INCLUDING ALL);
-- One function per table, each with its INSERT as static SQL (planned once), made from one text.
DO $do$
DECLARE
    target text;
BEGIN
    FOREACH target IN ARRAY ARRAY['v_default', 'v_migrated'] LOOP
        EXECUTE format($f$
            CREATE FUNCTION insert_into_%1$s(n integer, doc text) RETURNS float8 LANGUAGE plpgsql AS $$
            DECLARE
                started timestamptz := clock_timestamp();
            BEGIN
                FOR i IN 1 .. n LOOP
                    INSERT INTO %1$I (shard, alert_id, decision, rationale, decided_by, worker, lease_epoch, attempt,
                        enqueued_at, triage)
                    VALUES (1, gen_random_uuid(), 'CLOSE', 'r', 'ai', 'w', 1, 1, now(), doc::jsonb);
                END LOOP;
                RETURN extract(epoch FROM clock_timestamp() - started) * 1e6 / n;
            END
            $$ $f$, target);
    END LOOP;
END
$do$;
SQL
echo "document: ${#doc} characters of JSON; $rows rows per load; $rounds rounds"
# Warm-up: the function's plans and the tables' first pages.
sql <<<"SELECT insert_into_v_default(100, :'doc'), insert_into_v_migrated(100, :'doc'); TRUNCATE v_default, v_migrated;" >/dev/null
declare -a default_us migrated_us
for round in $(seq "$rounds"); do
    if [ $((round % 2)) = 1 ]; then order="v_default v_migrated"; else order="v_migrated v_default"; fi
    for target in $order; do
        sql -c "CHECKPOINT" >/dev/null
        us=$(sql <<<"SELECT round(insert_into_$target($rows, :'doc')::numeric, 1)")
        echo "round $round $target: $us µs per row"
        if [ "$target" = v_default ]; then default_us+=("$us"); else migrated_us+=("$us"); fi
    done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
d=$(median "${default_us[@]}")
m=$(median "${migrated_us[@]}")
echo "median µs per row: defaults (pglz, EXTENDED) $d, migration 13 (lz4, MAIN) $m; ratio $(awk -v d="$d" -v m="$m" 'BEGIN {printf "%.2f", m / d}')"
sql <<'SQL'
SELECT format('bytes per row on disk (table, TOAST and indexes): defaults %s, migration 13 %s; triage column: %s and %s (%s and %s)',
    pg_total_relation_size('v_default') / (SELECT count(*) FROM v_default),
    pg_total_relation_size('v_migrated') / (SELECT count(*) FROM v_migrated),
    (SELECT pg_column_size(triage) FROM v_default LIMIT 1), (SELECT pg_column_size(triage) FROM v_migrated LIMIT 1),
    (SELECT pg_column_compression(triage) FROM v_default LIMIT 1), (SELECT pg_column_compression(triage) FROM v_migrated LIMIT 1));
SQL
