"""8 `vigil worker` processes (AI step) against `vigil llm-sim --rpm 600`: utilisation and 429 rate, then a 429 storm.

Run through run.sh, which builds Vigil (release) and starts a throwaway PostgreSQL. Standard library only; the
database is reached with psql.

Phase 1 (steady, --seconds): the simulator and the cluster limiter both allow R requests/min with a 60 s burst (both
buckets start full), so at most R + R/60 x seconds requests can be served in the window. The workers share the limit
through PostgreSQL (`--llm-rpm R`). We report served / that maximum, the steady-state rate after the first
--warmup seconds, and 429s / requests.

Phase 2 (storm): POST /admin/storm?seconds=N makes the simulator answer every request with 429 and retry-after = the
storm's remaining seconds. The first 429 pauses the whole cluster (llm_rate_limit.paused_until); we report the 429s
during the storm and how soon after it the served rate is back at >= 90 % of the limit.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request


def psql(dsn, sql, *, quiet=True):
    out = subprocess.run(["psql", dsn, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def stats(url):
    with urllib.request.urlopen(url + "/stats", timeout=10) as response:
        return json.load(response)


def post(url, path):
    request = urllib.request.Request(url + path, method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def wait_listening(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("simulator did not start")


def enqueue(dsn, data, count, shards):
    """`count` alerts made of the shared CloudTrail records (repeated as needed), as the coordinator stores them."""
    records = []
    for path in sorted(glob.glob(os.path.join(data, "stratus-red-team", "*.json"))):
        records += json.load(open(path))
    for path in sorted(glob.glob(os.path.join(data, "invictus-ir", "*.json"))):
        records += json.load(open(path))["Records"]
    records = [r for r in records if (r.get("userIdentity") or {}).get("arn")]
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        for i in range(count):
            f.write(json.dumps(records[i % len(records)]).replace("\\", "\\\\") + "\n")
        stage = f.name
    psql(dsn, "CREATE TABLE IF NOT EXISTS bench_stage (n serial, payload jsonb)")
    subprocess.run(["psql", dsn, "-v", "ON_ERROR_STOP=1", "-qc", f"\\copy bench_stage (payload) FROM '{stage}'"], check=True)
    os.unlink(stage)
    psql(dsn, f"""
        WITH a AS (
            INSERT INTO alert (shard, id, source, external_id, kind, severity, occurred_at, principal, payload)
            SELECT n % {shards}, gen_random_uuid(), 'bench', 'b' || n, 'cloudtrail', 'medium',
                   (payload->>'eventTime')::timestamptz, payload->'userIdentity'->>'arn', payload
            FROM bench_stage
            RETURNING shard, id, source, external_id
        ), k AS (
            INSERT INTO alert_key (key_shard, source, external_id, shard, alert_id) SELECT shard, source, external_id, shard, id FROM a
        )
        INSERT INTO triage_job (shard, alert_id) SELECT shard, id FROM a;
        DROP TABLE bench_stage;
        SELECT pg_notify('vigil_jobs', s::text) FROM generate_series(0, {shards} - 1) s""")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vigil", required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--data", required=True, help="the shared cloudtrail folder")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rpm", type=int, default=600)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--warmup", type=float, default=30, help="seconds excluded from the steady-state rate")
    parser.add_argument("--storm-seconds", type=float, default=20)
    parser.add_argument("--after-storm", type=float, default=60, help="seconds observed after the storm ends")
    parser.add_argument("--alerts", type=int, default=6000)
    parser.add_argument("--shards", type=int, default=64)
    parser.add_argument("--in-flight", type=int, default=16, help="alerts in flight per worker")
    parser.add_argument("--concurrency", type=int, default=8, help="model calls in flight per worker")
    parser.add_argument("--tool-evidence-limit", type=int, default=5,
                        help="evidence records per tool answer (smaller bodies keep the simulator off the 2 shared cores)")
    parser.add_argument("--port", type=int, default=18097)
    args = parser.parse_args()

    url = f"http://127.0.0.1:{args.port}"
    subprocess.run([args.vigil, "migrate", "--database-url", args.dsn, "--shards", str(args.shards)], check=True,
                   stdout=subprocess.DEVNULL)
    loaded = subprocess.run([args.vigil, "load", "--database-url", args.dsn, "cloudtrail",
                             *sorted(glob.glob(os.path.join(args.data, "stratus-red-team", "*.json"))),
                             *sorted(glob.glob(os.path.join(args.data, "invictus-ir", "*.json")))],
                            check=True, capture_output=True, text=True)
    enqueue(args.dsn, args.data, args.alerts, args.shards)
    print(f"backlog: {psql(args.dsn, 'SELECT count(*) FROM triage_job')} jobs; cloudtrail events: "
          f"{psql(args.dsn, 'SELECT count(*) FROM cloudtrail_event')}", flush=True)

    logs = tempfile.mkdtemp(prefix="vigil-llm-bench-")
    sim_log = open(os.path.join(logs, "sim.log"), "w")
    sim = subprocess.Popen([args.vigil, "llm-sim", "--listen", f"127.0.0.1:{args.port}", "--rpm", str(args.rpm),
                            "--request-log", "0", "--log-level", "warning"], stdout=sim_log, stderr=subprocess.STDOUT)
    workers = []
    try:
        wait_listening(url)
        for i in range(args.workers):
            log = open(os.path.join(logs, f"worker-{i}.log"), "w")
            workers.append(subprocess.Popen(
                [args.vigil, "worker", "--database-url", args.dsn, "--llm-provider", "anthropic", "--llm-base-url", url,
                 "--llm-no-api-key", "--llm-rpm", str(args.rpm), "--llm-tools-clock", "alert", "--llm-concurrency",
                 str(args.concurrency), "--max-in-flight", str(args.in_flight), "--claim-batch", str(args.in_flight),
                 "--llm-tool-evidence-limit", str(args.tool_evidence_limit), "--llm-tool-top-limit", "5",
                 "--lease-seconds", "10", "--max-steals", "16", "--log-level", "warning"],
                stdout=log, stderr=subprocess.STDOUT))
        # The window starts when the first model request arrives (workers need a moment to lease and claim).
        t_wait = time.time()
        while stats(url)["total_requests"] == 0:
            if time.time() - t_wait > 60:
                sys.exit(f"no model request within 60 s; logs in {logs}")
            time.sleep(0.05)
        t0 = time.time()
        s0 = stats(url)
        time.sleep(args.warmup)
        s_warm = stats(url)
        t_warm = time.time()
        time.sleep(max(0, args.seconds - (t_warm - t0)))
        s1 = stats(url)
        t1 = time.time()
        window = t1 - t0
        served = s1["served"] - s0["served"]
        requests = s1["total_requests"] - s0["total_requests"]
        limited = s1["rate_limited"] - s0["rate_limited"]
        most = args.rpm + args.rpm / 60 * window
        steady = (s1["served"] - s_warm["served"]) / (t1 - t_warm) * 60
        verdicts = int(psql(args.dsn, "SELECT count(*) FROM verdict"))
        ai_verdicts = int(psql(args.dsn, "SELECT count(*) FROM verdict WHERE triage->'ai'->>'status' = 'verdict'"))
        print(f"phase 1: {args.workers} workers, rpm {args.rpm}, window {window:.1f} s")
        print(f"  served {served} of at most {most:.0f} (R + R/60 x window): utilisation {served / most * 100:.1f} %")
        print(f"  steady state after {args.warmup:.0f} s: {steady:.1f} served/min (limit {args.rpm}): {steady / args.rpm * 100:.1f} %")
        print(f"  requests {requests}, 429s {limited}: {limited / max(1, requests) * 100:.2f} %; 529/5xx "
              f"{(s1['overloaded'] - s0['overloaded']) + (s1['server_errors'] - s0['server_errors'])}")
        print(f"  verdicts so far {verdicts} ({ai_verdicts} with an AI verdict)", flush=True)

        # Phase 2: a 429 storm, then recovery.
        before = stats(url)
        post(url, f"/admin/storm?seconds={args.storm_seconds:g}")
        t_storm = time.time()
        time.sleep(args.storm_seconds)
        during = stats(url)
        t_end = time.time()
        storm_429 = during["rate_limited"] - before["rate_limited"]
        storm_requests = during["total_requests"] - before["total_requests"]
        # Served per 5 s after the storm, until the rate is back at >= 90 % of the limit for a whole interval.
        recovered_at = None
        samples = []
        last, t_last = during, t_end
        while time.time() - t_end < args.after_storm:
            time.sleep(5)
            now_stats, now = stats(url), time.time()
            rate = (now_stats["served"] - last["served"]) / (now - t_last) * 60
            samples.append((now - t_end, rate, now_stats["rate_limited"] - last["rate_limited"]))
            if recovered_at is None and rate >= 0.9 * args.rpm:
                recovered_at = now - t_end
            last, t_last = now_stats, now
        after_429 = last["rate_limited"] - during["rate_limited"]
        after_requests = last["total_requests"] - during["total_requests"]
        print(f"phase 2: 429 storm of {args.storm_seconds:g} s")
        print(f"  during the storm: {storm_requests} requests, {storm_429} answered 429 "
              f"(the first 429 pauses the cluster for retry-after)")
        for offset, rate, limited in samples:
            print(f"  +{offset:5.1f} s after: {rate:6.1f} served/min, 429s {limited}")
        print(f"  recovered (>= 90 % of the limit over 5 s) {recovered_at:.1f} s after the storm" if recovered_at is not None
              else "  NOT recovered within the observation window")
        print(f"  after the storm: {after_requests} requests, {after_429} 429s "
              f"({after_429 / max(1, after_requests) * 100:.2f} %)")
        audits = psql(args.dsn, """
            SELECT round(avg((triage->'ai'->'audit'->>'cost_usd')::float)::numeric, 5),
                   round(avg((triage->'ai'->'audit'->>'turns')::int)::numeric, 2),
                   round((percentile_cont(0.5) WITHIN GROUP (ORDER BY (triage->'ai'->'audit'->>'latency_ms')::float))::numeric / 1000, 1),
                   round((percentile_cont(0.95) WITHIN GROUP (ORDER BY (triage->'ai'->'audit'->>'latency_ms')::float))::numeric / 1000, 1)
            FROM verdict WHERE triage->'ai'->>'status' = 'verdict'""")
        print(f"per alert with an AI verdict (avg cost $, avg turns, p50 s, p95 s of the AI path): {audits}")
        by_status = psql(args.dsn, "SELECT string_agg(s || ' ' || n, ', ') FROM "
                         "(SELECT triage->'ai'->>'status' s, count(*) n FROM verdict GROUP BY 1 ORDER BY 2 DESC) x")
        print(f"verdicts by AI status: {by_status}")
        print(f"logs: {logs}")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        sim.terminate()
        sim.wait(timeout=10)


if __name__ == "__main__":
    main()
