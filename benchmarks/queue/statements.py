"""Where a worked job's database time goes: one timed Vigil run of the queue benchmark (N workers, trivial step,
fsync on), with per-statement figures from pg_stat_statements and the CPU time of the server's processes and of
the worker processes over the timed window, per job.

Run through statements.sh, which builds Vigil (release) and starts a server with pg_stat_statements loaded.
"""
import argparse
import asyncio
import os
import signal
import subprocess
import time

import asyncpg

from bench import ENQUEUE_SQL, finish, reset, vigil_worker, wait_empty

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid, children=False):
    """utime + stime of a process (plus its reaped children's with `children`), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def server_cpu_seconds(postmaster):
    """The server's CPU time: the postmaster with its reaped children, and its live children."""
    total = cpu_seconds(postmaster, children=True)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / TICKS
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


STATEMENTS_SQL = """
SELECT calls, rows, total_exec_time, total_plan_time, wal_records, shared_blks_hit + shared_blks_read AS blocks,
       regexp_replace(query, '\\s+', ' ', 'g') AS query
FROM pg_stat_statements
WHERE query NOT ILIKE '%pg_stat_statements%'
ORDER BY total_exec_time + total_plan_time DESC
LIMIT $1
"""

TABLES_SQL = """
SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables
WHERE relname IN ('triage_job', 'verdict', 'alert', 'monitor_watch', 'queue_counter', 'shard_lease', 'worker')
ORDER BY relname
"""


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vigil", required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--postmaster", type=int, required=True)
    parser.add_argument("--jobs", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--shards", type=int, default=64)
    parser.add_argument("--in-flight", type=int, default=256)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--perf", default="", help="also record `perf record -a -g` into this file over the timed window")
    parser.add_argument("--worker-args", default="", help="extra `vigil worker` options, space separated")
    args = parser.parse_args()
    conn = await asyncpg.connect(args.dsn)
    await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    await conn.execute("UPDATE cluster SET shard_count = $1", args.shards)
    for run in range(args.runs):
        await reset(conn)
        procs = [
            vigil_worker(args.vigil, args.dsn, "--max-in-flight", str(args.in_flight), "--claim-batch", str(args.in_flight),
                         *args.worker_args.split())
            for _ in range(args.workers)
        ]
        share = args.shards // args.workers
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            held = await conn.fetch("SELECT owner, count(*) AS n FROM shard_lease WHERE owner IS NOT NULL GROUP BY owner")
            if len(held) == args.workers and all(row["n"] >= share for row in held):
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("shard leases did not balance")
        await conn.execute(ENQUEUE_SQL, args.jobs, args.shards, f"s{run}-")
        await conn.execute("SELECT pg_stat_statements_reset()")
        await conn.execute("SELECT pg_stat_reset()")
        await conn.execute("SELECT pg_stat_reset_shared('wal')")
        server_before = server_cpu_seconds(args.postmaster)
        workers_before = sum(cpu_seconds(p.pid) for p in procs)
        recorder = None
        if args.perf:
            recorder = subprocess.Popen(["perf", "record", "-a", "-g", "-q", "-o", args.perf], stdout=subprocess.DEVNULL)
            await asyncio.sleep(0.3)
        start = time.monotonic()
        await conn.execute("SELECT pg_notify('vigil_jobs', s::text) FROM generate_series(0, $1::int - 1) s", args.shards)
        end = await wait_empty(conn, "SELECT count(*) FROM (SELECT FROM triage_job LIMIT 1) s")
        server_cpu = server_cpu_seconds(args.postmaster) - server_before
        worker_cpu = sum(cpu_seconds(p.pid) for p in procs) - workers_before
        if recorder:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=120)
        statements = await conn.fetch(STATEMENTS_SQL, args.top)
        tables = await conn.fetch(TABLES_SQL)
        wal = await conn.fetchrow("SELECT wal_records, wal_bytes, wal_sync FROM pg_stat_wal")
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            finish(p)
        verdicts = await conn.fetchval("SELECT count(*) FROM verdict")
        assert verdicts == args.jobs, (verdicts, args.jobs)
        n = args.jobs
        elapsed = end - start
        print(f"run {run + 1}: {args.workers} workers, {n} jobs in {elapsed:.2f} s = {n / elapsed:.0f} jobs/s; CPU per job: "
              f"server {server_cpu / n * 1e6:.1f} us, workers {worker_cpu / n * 1e6:.1f} us "
              f"(server {server_cpu / elapsed * 100:.0f}% of a core, workers {worker_cpu / elapsed * 100:.0f}%); "
              f"load {os.getloadavg()[0]:.2f}")
        print(f"  WAL per job: {wal['wal_records'] / n:.1f} records, {int(wal['wal_bytes']) / n:.0f} bytes; "
              f"WAL syncs {wal['wal_sync']}")
        print("  calls      rows  exec ms  plan ms  exec us/job  plan us/job  rows/call  query")
        for s in statements:
            print(f"  {s['calls']:6d} {s['rows']:8d} {s['total_exec_time']:8.0f} {s['total_plan_time']:8.0f} "
                  f"{s['total_exec_time'] * 1000 / n:11.1f} {s['total_plan_time'] * 1000 / n:12.1f} "
                  f"{s['rows'] / max(1, s['calls']):10.1f}  {s['query'][:110]}")
        for t in tables:
            print(f"  {t['relname']:14s} ins {t['n_tup_ins']:7d} upd {t['n_tup_upd']:7d} hot {t['n_tup_hot_upd']:7d} "
                  f"del {t['n_tup_del']:7d}")
    await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
