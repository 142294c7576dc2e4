"""Vigil's worker vs PgQueuer on one PostgreSQL (fsync on), in one run; then Vigil's claim latency when idle.

Run through run.sh, which builds Vigil (release), prepares the virtual environment and starts the server.
"""
import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import time

import asyncpg

HERE = os.path.dirname(os.path.abspath(__file__))

ENQUEUE_SQL = """
WITH a AS (
    INSERT INTO alert (shard, id, source, external_id, kind, severity, occurred_at, principal, payload)
    SELECT g % $2, gen_random_uuid(), 'bench', $3 || g, 'bench', 'high', now(), 'user-' || g, jsonb_build_object('n', g)
    FROM generate_series(1, $1::int) g
    RETURNING shard, id, source, external_id
), k AS (
    INSERT INTO alert_key (key_shard, source, external_id, shard, alert_id) SELECT shard, source, external_id, shard, id FROM a
)
INSERT INTO triage_job (shard, alert_id) SELECT shard, id FROM a
"""


def vigil_worker(binary, dsn, *extra):
    """A worker whose log goes to a file (a pipe nobody reads would fill up and stall it); `.log_path` names it."""
    import tempfile

    log = tempfile.NamedTemporaryFile("w", prefix="vigil-bench-worker-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [binary, "worker", "--triage", "placeholder", "--database-url", dsn, "--lease-seconds", "5", "--max-steals", "16", *extra],
        stdout=log, stderr=subprocess.STDOUT, text=True)
    process.log_path = log.name
    log.close()
    return process


def finish(process):
    """Waits for a worker sent SIGTERM; returns its log."""
    process.wait(timeout=60)
    with open(process.log_path) as f:
        out = f.read()
    os.unlink(process.log_path)
    return out


async def reset(conn):
    await conn.execute("TRUNCATE alert, alert_key, triage_job, verdict, dead_job, queue_counter, worker")
    await conn.execute("UPDATE shard_lease SET owner = NULL, expires_at = '-infinity'")
    await conn.execute("VACUUM ANALYZE triage_job")


async def wait_empty(conn, sql, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await conn.fetchval(sql) == 0:
            return time.monotonic()
        await asyncio.sleep(0.02)
    raise RuntimeError("queue did not drain in time")


async def run_vigil(conn, args, dsn, workers, jobs, label):
    """Starts the workers on an empty queue and waits until the shard leases are balanced between them (a fair
    share each), then enqueues the jobs in one transaction and times from its commit until the queue is empty."""
    await reset(conn)
    procs = [
        vigil_worker(args.vigil, dsn, "--max-in-flight", str(args.in_flight), "--claim-batch", str(args.in_flight))
        for _ in range(workers)
    ]
    share = args.shards // workers
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        held = await conn.fetch("SELECT owner, count(*) AS n FROM shard_lease WHERE owner IS NOT NULL GROUP BY owner")
        if len(held) == workers and all(row["n"] >= share for row in held):
            break
        await asyncio.sleep(0.1)
    else:
        raise RuntimeError("shard leases did not balance")
    await conn.execute(ENQUEUE_SQL, jobs, args.shards, label)
    start = time.monotonic()
    await conn.execute("SELECT pg_notify('vigil_jobs', s::text) FROM generate_series(0, $1::int - 1) s", args.shards)
    end = await wait_empty(conn, "SELECT count(*) FROM (SELECT FROM triage_job LIMIT 1) s")
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        out = finish(p)
        if p.returncode != 0:
            print(out[-3000:], file=sys.stderr)
            raise RuntimeError("a Vigil worker failed")
    verdicts = await conn.fetchval("SELECT count(*) FROM verdict")
    assert verdicts == jobs, (verdicts, jobs)
    return jobs / (end - start)


async def run_pgqueuer(conn, args, dsn, processes, batch, jobs):
    """As for Vigil: consumers started first and connected, the jobs enqueued in one statement (PgQueuer's own
    batch enqueue), timed from its return until the queue table is empty."""
    from pgqueuer import AsyncpgDriver, Queries

    python = sys.executable
    script = os.path.join(HERE, "pgqueuer_worker.py")
    await conn.execute("TRUNCATE pgqueuer, pgqueuer_log")
    await conn.execute("CHECKPOINT")
    procs = [subprocess.Popen([python, script, dsn, "work", str(batch)]) for _ in range(processes)]
    await asyncio.sleep(3)  # interpreters started, connected, listening
    enqueuer = await asyncpg.connect(dsn)
    await Queries(AsyncpgDriver(enqueuer)).enqueue(["noop"] * jobs, [None] * jobs, [0] * jobs)
    start = time.monotonic()
    end = await wait_empty(conn, "SELECT count(*) FROM (SELECT FROM pgqueuer LIMIT 1) s")
    for p in procs:
        p.kill()
        p.wait(timeout=60)
    await enqueuer.close()
    return jobs / (end - start)


async def idle_latency(conn, args, dsn, samples):
    """Commit-to-claim on an idle cluster: one job at a time, the worker woken by NOTIFY.

    The job is enqueued and notified in one transaction. The claim time is the claim statement's now(), read back
    as lease_expires_at minus the job lease (the step takes 200 ms, so the row is still there to read). It is
    measured from two points, both on this host's clock: clock_timestamp() just before COMMIT (conservative: it
    includes the commit's own WAL flush) and the moment COMMIT returned to this client."""
    await reset(conn)
    job_lease = 60
    proc = vigil_worker(args.vigil, dsn, "--placeholder-work-ms", "200", "--job-lease-seconds", str(job_lease),
                        "--poll-seconds", "5")
    await asyncio.sleep(2)  # leases taken
    delays = []
    from_ack = []
    for i in range(samples):
        async with conn.transaction():
            row = await conn.fetchrow(
                """
                WITH a AS (
                    INSERT INTO alert (shard, id, source, external_id, kind, severity, occurred_at, payload)
                    VALUES ($1, gen_random_uuid(), 'latency', $2, 'bench', 'high', now(), '{}') RETURNING shard, id
                ) INSERT INTO triage_job (shard, alert_id) SELECT shard, id FROM a RETURNING shard, alert_id
                """, i % args.shards, f"l{i}")
            await conn.execute("SELECT pg_notify('vigil_jobs', $1)", str(row["shard"]))
            committed = await conn.fetchval("SELECT clock_timestamp()")
        acknowledged = time.time()
        claimed = None
        while claimed is None:
            claimed = await conn.fetchval(
                "SELECT lease_expires_at - $3 * interval '1 second' FROM triage_job WHERE shard = $1 AND alert_id = $2 AND state = 'running'",
                row["shard"], row["alert_id"], job_lease)
            if claimed is None:
                await asyncio.sleep(0.002)
        delays.append((claimed - committed).total_seconds() * 1000)
        from_ack.append((claimed.timestamp() - acknowledged) * 1000)
        await wait_empty(conn, "SELECT count(*) FROM (SELECT FROM triage_job LIMIT 1) s")
        await asyncio.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out = finish(proc)
    claim = re.search(r"claim_p50_ms=([\d.]+) claim_p99_ms=([\d.]+)", out)
    return delays, from_ack, claim


def quantile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def table_size(conn):
    return await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('triage_job'))"), \
        await conn.fetchval("SELECT pg_total_relation_size('triage_job')")


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vigil", required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--jobs", type=int, default=50_000)
    parser.add_argument("--shards", type=int, default=64)
    parser.add_argument("--in-flight", type=int, default=256)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--pgq-batches", default="10,50,100")
    parser.add_argument("--pgq-processes", default="1,2,4")
    parser.add_argument("--latency-samples", type=int, default=200)
    parser.add_argument("--big-run", type=int, default=0, help="also load this many jobs, work them, show triage_job's size")
    parser.add_argument("--churn-run", type=int, default=0,
                        help="also push this many jobs through with a bounded backlog (enqueue while working), show triage_job's size")
    args = parser.parse_args()
    conn = await asyncpg.connect(args.dsn)
    await conn.execute("UPDATE cluster SET shard_count = $1", args.shards)
    subprocess.run([sys.executable, os.path.join(HERE, "pgqueuer_worker.py"), args.dsn, "install"], check=True)

    print(f"queue benchmark: {args.jobs} jobs per run, trivial step, fsync on, {os.cpu_count()} cores")
    vigil = {}
    pgq = {}
    # Alternate the candidates so that changing background load falls on both alike.
    pgq_configs = [(int(p), int(b)) for p in args.pgq_processes.split(",") for b in args.pgq_batches.split(",")]
    vigil_configs = [int(x) for x in args.workers.split(",")]
    for i in range(max(len(pgq_configs), len(vigil_configs))):
        if i < len(vigil_configs):
            n = vigil_configs[i]
            vigil[n] = await run_vigil(conn, args, args.dsn, n, args.jobs, f"v{n}-")
            print(f"  vigil worker x{n} (in-flight {args.in_flight}): {vigil[n]:9.0f} jobs/s", flush=True)
        if i < len(pgq_configs):
            p, b = pgq_configs[i]
            pgq[(p, b)] = await run_pgqueuer(conn, args, args.dsn, p, b, args.jobs)
            print(f"  pgqueuer x{p} batch {b:3d}: {pgq[(p, b)]:9.0f} jobs/s", flush=True)
    best_key = max(pgq, key=pgq.get)
    best = pgq[best_key]
    print(f"PgQueuer best: {best:.0f} jobs/s (x{best_key[0]} processes, batch {best_key[1]})")
    for n, rate in vigil.items():
        print(f"Vigil x{n}: {rate:.0f} jobs/s = {rate / best:.2f}x PgQueuer best (target >= 2x)")

    delays, from_ack, claim = await idle_latency(conn, args, args.dsn, args.latency_samples)
    print(f"idle commit-to-claim over {len(delays)} jobs, from COMMIT sent: p50 {quantile(delays, 0.5):.2f} ms, "
          f"p99 {quantile(delays, 0.99):.2f} ms, max {max(delays):.2f} ms (target p99 < 20 ms)")
    print(f"idle commit-to-claim, from COMMIT acknowledged: p50 {quantile(from_ack, 0.5):.2f} ms, "
          f"p99 {quantile(from_ack, 0.99):.2f} ms")
    if claim:
        print(f"claim statement round trip (worker's own count, idle run): p50 {claim.group(1)} ms, p99 {claim.group(2)} ms")

    if args.big_run:
        await reset(conn)
        await conn.execute("VACUUM FULL triage_job")
        before = await table_size(conn)
        chunk = 100_000
        for start in range(0, args.big_run, chunk):
            await conn.execute(ENQUEUE_SQL, min(chunk, args.big_run - start), args.shards, f"big{start}-")
        loaded = await table_size(conn)
        began = time.monotonic()
        procs = [vigil_worker(args.vigil, args.dsn, "--max-in-flight", str(args.in_flight), "--claim-batch", str(args.in_flight))
                 for _ in range(2)]
        end = await wait_empty(conn, "SELECT count(*) FROM triage_job", timeout=3600)
        for p in procs:
            p.send_signal(signal.SIGTERM)
            finish(p)
        after = await table_size(conn)
        await asyncio.sleep(5)
        settled = await table_size(conn)
        print(f"{args.big_run} jobs worked by 2 workers in {end - began:.1f} s ({args.big_run / (end - began):.0f} jobs/s); "
              f"triage_job size: empty {before[0]}, loaded {loaded[0]}, after the run {after[0]}, 5 s later {settled[0]}")
    if args.churn_run:
        await reset(conn)
        await conn.execute("VACUUM FULL triage_job")
        before = await table_size(conn)
        procs = [vigil_worker(args.vigil, args.dsn, "--max-in-flight", str(args.in_flight), "--claim-batch", str(args.in_flight))
                 for _ in range(2)]
        began = time.monotonic()
        enqueued = 0
        peak = before
        chunk = 5_000
        while enqueued < args.churn_run:
            backlog = await conn.fetchval("SELECT count(*) FROM triage_job")
            if backlog < 4 * chunk:
                n = min(chunk, args.churn_run - enqueued)
                await conn.execute(ENQUEUE_SQL, n, args.shards, f"churn{enqueued}-")
                await conn.execute("SELECT pg_notify('vigil_jobs', s::text) FROM generate_series(0, $1::int - 1) s", args.shards)
                enqueued += n
            else:
                await asyncio.sleep(0.05)
            if enqueued % 100_000 == 0:
                size = await table_size(conn)
                peak = max(peak, size, key=lambda x: x[1])
        end = await wait_empty(conn, "SELECT count(*) FROM triage_job", timeout=3600)
        for p in procs:
            p.send_signal(signal.SIGTERM)
            finish(p)
        after = await table_size(conn)
        verdicts = await conn.fetchval("SELECT count(*) FROM verdict")
        print(f"churn: {args.churn_run} jobs enqueued while 2 workers ran (backlog kept under {4 * chunk + chunk}), "
              f"{verdicts} verdicts, {end - began:.1f} s ({args.churn_run / (end - began):.0f} jobs/s); "
              f"triage_job size: before {before[0]}, largest sampled {peak[0]}, after {after[0]}")
    await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
