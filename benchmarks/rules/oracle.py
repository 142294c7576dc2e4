"""Differential conformance and benchmark of `vigil rules` against pySigma + pysigma-backend-sqlite.

The oracle: the SigmaHQ AWS CloudTrail rules converted to SQLite SQL by pySigma's SQLite backend, run over
a flattened table (one column per dotted field, as Zircolite builds it: TEXT columns COLLATE NOCASE,
booleans as 'true'/'false'). Objects and arrays also get a column holding their compact JSON text, so that
`contains` on a whole object sees the same text in both engines.

Run through run.sh, which makes the virtual environment and builds vigil.
"""

import argparse
import glob
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection


def load_events(shared):
    """All events of the three sets, with a unique key: eventID (Stratus, Invictus) or panther:<line>."""
    base = os.path.join(shared, "cloudtrail")
    events = []
    for path in sorted(glob.glob(os.path.join(base, "stratus-red-team", "*.json"))):
        events += json.load(open(path, encoding="utf-8"))
    for path in sorted(glob.glob(os.path.join(base, "invictus-ir", "*.json"))):
        events += json.load(open(path, encoding="utf-8"))["Records"]
    seen = {e["eventID"] for e in events}
    assert len(seen) == len(events), "Stratus/Invictus eventIDs are expected to be unique"
    path = os.path.join(base, "panther-tests", "aws_cloudtrail_rule_tests.jsonl")
    for number, line in enumerate(open(path, encoding="utf-8"), start=1):
        if not line.strip():
            continue
        event = dict(json.loads(line)["log"])
        # Panther reuses ids such as 1111: key its events by line.
        event["eventID"] = "panther:%d:%s" % (number, event.get("eventID"))
        events.append(event)
    return events


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def flatten(event):
    """Dotted path -> SQLite value, for leaves and (as JSON text) for objects and arrays."""
    row = {}

    def walk(value, path):
        if isinstance(value, dict):
            if path:
                row[path] = compact(value)
            for key, item in value.items():
                walk(item, path + "." + key if path else key)
        elif isinstance(value, list):
            row[path] = compact(value)
        elif isinstance(value, bool):
            row[path] = "true" if value else "false"
        elif value is None:
            row[path] = None
        else:
            row[path] = value
    walk(event, "")
    return row


def distinct_columns(events):
    """Every dotted path, one spelling per case-insensitive name (SQLite column names ignore case)."""
    columns = {}
    for event in events:
        for key in flatten(event):
            columns.setdefault(key.lower(), key)
    return sorted(columns.values())


def regexp(pattern, value):
    if value is None:
        return 0
    return 1 if re.search(pattern, str(value)) else 0


def build_table(events, columns, copies=1):
    """An in-memory table `logs` with the given columns (TEXT COLLATE NOCASE) and a rowkey, `copies` times over."""
    db = sqlite3.connect(":memory:")
    db.create_function("regexp", 2, regexp, deterministic=True)
    quoted = ['"%s"' % c.replace('"', '""') for c in columns]
    db.execute("CREATE TABLE logs (rowkey TEXT, %s)" % ", ".join(q + " TEXT COLLATE NOCASE" for q in quoted))
    insert = "INSERT INTO logs VALUES (?%s)" % (", ?" * len(columns))
    rows = []
    for event in events:
        # SQLite column names ignore case: keys differing only in case share a column (the last one wins).
        flat = {k.lower(): v for k, v in flatten(event).items()}
        rows.append([event["eventID"]] + [flat.get(c.lower()) for c in columns])
    for _ in range(copies):
        db.executemany(insert, rows)
    db.commit()
    return db


def convert_rules(rules_dir):
    """rule id -> list of SQL WHERE queries from pySigma's SQLite backend."""
    collection = SigmaCollection.load_ruleset([rules_dir])
    backend = sqliteBackend()
    queries = {}
    for rule in collection.rules:
        queries[str(rule.id)] = backend.convert_rule(rule)
    return queries


def referenced_columns(queries, all_columns):
    """Columns the SQL mentions (quoted or bare), so the benchmark table holds only what the queries read."""
    text = "\n".join(q for qs in queries.values() for q in qs)
    used = [c for c in all_columns if ('"%s"' % c) in text or re.search(r"(?<![\w.])%s(?![\w.])" % re.escape(c), text)]
    return used


def execute(db, sql):
    """Runs `sql`; a column no event has is added (all NULL), as a flattened table of other events would lack it."""
    while True:
        try:
            return db.execute(sql).fetchall()
        except sqlite3.OperationalError as error:
            missing = re.match(r"no such column: (.+)", str(error))
            if not missing:
                raise
            db.execute('ALTER TABLE logs ADD COLUMN "%s" TEXT COLLATE NOCASE' % missing.group(1).replace('"', '""'))


def sql_matches(db, queries):
    pairs = set()
    for rule_id, qs in queries.items():
        for q in qs:
            select = q.replace("SELECT * FROM", "SELECT rowkey FROM", 1)
            for (key,) in execute(db, select):
                pairs.add((rule_id, key))
    return pairs


def vigil_matches(vigil, rules_dir, events_file):
    out = subprocess.run([vigil, "rules", "test", "--no-builtins", "--rules", rules_dir, events_file],
                         check=True, capture_output=True, text=True).stdout
    pairs = set()
    for line in out.splitlines():
        hit = json.loads(line)
        pairs.add((hit["rule_id"], hit["event_id"]))
    return pairs


def load_known(path):
    known = {}
    for line in open(path, encoding="utf-8"):
        if not line.strip() or line.startswith("#"):
            continue
        rule_id, event_id, side, reason = line.rstrip("\n").split("\t", 3)
        known[(rule_id, event_id)] = (side, reason)
    return known


def conformance(args, events, queries):
    columns = distinct_columns(events)
    db = build_table(events, columns)
    oracle = sql_matches(db, queries)
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False, encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
        events_file = f.name
    try:
        ours = vigil_matches(args.vigil, args.rules, events_file)
    finally:
        os.unlink(events_file)
    ours = {p for p in ours if p[0] in queries}
    known = load_known(args.known)
    only_vigil = ours - oracle
    only_oracle = oracle - ours
    unexplained = []
    for side, pairs in (("vigil-only", only_vigil), ("oracle-only", only_oracle)):
        for pair in sorted(pairs):
            entry = known.get(pair)
            if entry is None or entry[0] != side:
                unexplained.append((side, pair))
    stale = [p for p in known if p not in only_vigil and p not in only_oracle]
    print("events: %d (columns: %d)" % (len(events), len(columns)))
    print("rules: %d converted by pySigma" % len(queries))
    print("oracle (pySigma->SQLite) matches: %d" % len(oracle))
    print("vigil matches: %d" % len(ours))
    print("agreed: %d" % len(ours & oracle))
    print("vigil-only: %d, oracle-only: %d, listed in %s: %d"
          % (len(only_vigil), len(only_oracle), os.path.basename(args.known), len(known)))
    for side, (rule_id, event_id) in unexplained:
        print("UNEXPLAINED %s\t%s\t%s" % (side, rule_id, event_id))
    for rule_id, event_id in stale:
        print("STALE (listed but no longer a disagreement)\t%s\t%s" % (rule_id, event_id))
    return 1 if unexplained or stale else 0


def bench(args, events, queries):
    copies = -(-args.events // len(events))
    total = copies * len(events)
    all_columns = distinct_columns(events)
    columns = referenced_columns(queries, all_columns)
    t0 = time.perf_counter()
    db = build_table(events, columns, copies)
    load_seconds = time.perf_counter() - t0
    for qs in queries.values():  # add the columns no event has before timing (see execute)
        for q in qs:
            execute(db, q.replace("SELECT * FROM", "SELECT count(*) FROM", 1) + " LIMIT 0")
    sql_seconds = sql_cpu = float("inf")
    for _ in range(args.repeats):  # the fastest pass counts, as for vigil
        t0 = time.perf_counter()
        c0 = time.thread_time()
        count = 0
        for qs in queries.values():
            for q in qs:
                select = q.replace("SELECT * FROM", "SELECT count(*) FROM", 1)
                count += execute(db, select)[0][0]
        sql_seconds = min(sql_seconds, time.perf_counter() - t0)
        sql_cpu = min(sql_cpu, time.thread_time() - c0)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sql_rate = total / sql_seconds
    sql_cpu_rate = total / sql_cpu
    print("best of %d passes each" % args.repeats)
    print("sqlite: %d events (%d copies), %d columns, table load %.1f s (not timed), %d matches, queries %.3f s "
          "(%.3f CPU s), %.0f events/s (%.0f per CPU second), max RSS %.0f MB"
          % (total, copies, len(columns), load_seconds, count, sql_seconds, sql_cpu, sql_rate, sql_cpu_rate, rss_mb))
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False, encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
        events_file = f.name
    try:
        result = subprocess.run([args.vigil, "rules", "bench", "--rules", args.rules, "--events", str(total), "--repeats", str(args.repeats), "--json", events_file],
                                check=True, capture_output=True, text=True)
    finally:
        os.unlink(events_file)
    ours = json.loads(result.stdout)
    print("vigil:  %d events, %d rules + built-ins, %d hits, evaluate %.3f s (%.3f CPU s), %.0f events/s (%.0f per CPU second); "
          "parse+evaluate %.0f events/s (%.0f per CPU second); max RSS %.0f MB"
          % (ours["events"], len(queries), ours["hits"], ours["evaluate_seconds"], ours["evaluate_cpu_seconds"],
             ours["events_per_second"], ours["events_per_cpu_second"], ours["parse_and_evaluate_events_per_second"],
             ours["parse_and_evaluate_events_per_cpu_second"], ours["max_rss_mb"]))
    print("ratio vigil/sqlite, evaluate only: %.1fx wall, %.1fx CPU"
          % (ours["events_per_second"] / sql_rate, ours["events_per_cpu_second"] / sql_cpu_rate))
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["conformance", "bench"])
    parser.add_argument("--vigil", required=True)
    parser.add_argument("--shared", required=True)
    parser.add_argument("--rules")
    parser.add_argument("--known", default=os.path.join(os.path.dirname(__file__), "known-disagreements.tsv"))
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per engine; the fastest is reported")
    args = parser.parse_args()
    args.rules = args.rules or os.path.join(args.shared, "sigma", "aws-cloudtrail")
    events = load_events(args.shared)
    queries = convert_rules(args.rules)
    sys.exit(conformance(args, events, queries) if args.mode == "conformance" else bench(args, events, queries))


if __name__ == "__main__":
    main()
