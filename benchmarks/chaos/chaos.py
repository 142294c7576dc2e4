"""Vigil's fault-injection suite: alerts through a real cluster while its parts fail; proves nothing is lost or duplicated.

Run through run.sh, which builds `vigil` and picks the full or the reduced (CI) size. Standard library only; the
database is read through `psql`. The run exits non-zero when an acknowledged alert is lost, a verdict is
duplicated, an ingest batch was refused or given up on, or the cluster did not finish within --timeout.

Faults, each logged as a window [start, end] with the monotonic clock mapped to wall time:
  - worker-kill: a random worker process SIGKILLed every --kill-min..--kill-max seconds, restarted after a pause;
  - pg-restart: `pg_ctl restart -m fast` once, --pg-restart-at seconds into the run (ingest still going);
  - sim-stop (AI path only): the LLM simulator stopped for --sim-stop-seconds, then started again;
  - rate-limit-storm (AI path only): the simulator answers 429 to everything for --storm-seconds.
"""
import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now():
    return time.time()


class Cluster:
    """The processes of one run and the faults applied to them."""

    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.out = args.out
        self.lock = threading.Lock()
        self.events = []  # {"fault", "start", "end", ...}
        self.workers = {}  # slot -> Popen
        self.stopping = threading.Event()
        self.ingest_done = threading.Event()
        self.ingest_results = []
        self.timeline = []
        self.pg = {}
        self.sim = None
        self.sim_port = None
        self.log_files = []
        self.slot_lock = threading.Lock()
        self.unexpected_exits = []

    # MARK: processes

    def spawn(self, name, argv):
        log = open(os.path.join(self.out, f"{name}.log"), "a")
        self.log_files.append(log)
        log.write(f"--- started {time.strftime('%H:%M:%S')}: {' '.join(argv)}\n")
        log.flush()
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, text=True)

    def vigil(self, *argv, check=True, capture=True):
        result = subprocess.run([self.args.vigil, *argv], capture_output=capture, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"vigil {argv[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
        return result

    def psql(self, sql, check=True):
        env = dict(os.environ, PGCONNECT_TIMEOUT="2")
        result = subprocess.run(["psql", self.pg["url"], "-v", "ON_ERROR_STOP=1", "-Atqc", sql], capture_output=True, text=True, env=env)
        if result.returncode != 0:
            if check:
                raise RuntimeError(f"psql failed: {result.stderr.strip()}")
            return None
        return result.stdout.strip()

    def start_postgres(self):
        command = ["bash", os.path.join(ROOT, "scripts/pg-throwaway.sh"), "start"] + (["--fast"] if self.args.fast else [])
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        for line in output.splitlines():
            m = re.match(r"export (\w+)='(.*)'", line)
            if m:
                self.pg[m.group(1)] = m.group(2)
        self.pg["url"] = self.pg["DATABASE_URL"]

    def pg_ctl(self, *argv):
        command = [f"{self.pg['VIGIL_PG_BIN']}/pg_ctl", "-D", f"{self.pg['VIGIL_PG_DIR']}/data", *argv]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--"] + command
        subprocess.run(command, check=True, capture_output=True)

    def stop_postgres(self):
        if self.pg:
            subprocess.run(["bash", os.path.join(ROOT, "scripts/pg-throwaway.sh"), "stop", self.pg["VIGIL_PG_DIR"]], capture_output=True)

    def start_worker(self, slot):
        argv = [self.args.vigil, "worker", "--database-url", self.pg["url"], "--lease-seconds", str(self.args.lease_seconds),
                "--job-lease-seconds", str(self.args.job_lease_seconds), "--poll-seconds", "0.5", "--max-steals", "4"]
        if self.args.ai:
            argv += ["--llm-provider", "openai", "--llm-base-url", f"http://127.0.0.1:{self.sim_port}", "--llm-model", self.args.llm_model,
                     "--llm-no-api-key", "--llm-concurrency", str(self.args.llm_concurrency)]
        else:
            argv += ["--triage", "rules"]
        argv += self.args.worker_arg
        self.workers[slot] = self.spawn(f"worker-{slot}", argv)

    def start_sim(self):
        argv = [self.args.vigil, "llm-sim", "--listen", f"127.0.0.1:{self.sim_port}", "--latency-median-ms", str(self.args.sim_latency_ms),
                "--seed", str(self.args.seed)]
        self.sim = self.spawn("llm-sim", argv)
        wait_http(f"http://127.0.0.1:{self.sim_port}/health", 30)

    def event(self, fault, start, end, **extra):
        with self.lock:
            self.events.append(dict(fault=fault, start=start, end=end, **extra))

    # MARK: faults

    def killer(self):
        """SIGKILLs a random worker every few seconds; restarts it after a short pause."""
        while not self.stopping.wait(self.rng.uniform(self.args.kill_min, self.args.kill_max)):
            slot = self.rng.randrange(self.args.workers)
            pause = self.rng.uniform(0.2, 1.5)
            with self.slot_lock:
                process = self.workers[slot]
                pid = process.pid
                shards = self.psql(f"SELECT string_agg(shard::text, ',') FROM shard_lease WHERE owner LIKE '%:{pid}:%'", check=False) or ""
                start = now()
                process.send_signal(signal.SIGKILL)
                process.wait()
                time.sleep(pause)
                self.start_worker(slot)
            moved = self.wait_shards_moved(pid, shards, start)
            self.event("worker-kill", start, now(), pid=pid, shards=len(shards.split(",")) if shards else 0,
                       shards_moved_seconds=moved)

    def wait_shards_moved(self, pid, shards, start):
        """Seconds until every shard the killed worker held has another owner (None: it held none, or timeout)."""
        if not shards:
            return None
        deadline = start + 4 * self.args.lease_seconds + 10
        while now() < deadline and not self.stopping.is_set():
            held = self.psql(
                f"SELECT count(*) FROM shard_lease WHERE shard IN ({shards}) AND (owner IS NULL OR owner LIKE '%:{pid}:%')", check=False)
            if held == "0":
                return round(now() - start, 3)
            time.sleep(0.25)
        return None

    def pg_restart(self):
        if self.stopping.wait(self.args.pg_restart_at):
            return
        start = now()
        self.pg_ctl("-l", f"{self.pg['VIGIL_PG_DIR']}/server.log", "-m", "fast", "-w", "restart")
        self.event("pg-restart", start, now())

    def sim_faults(self):
        if self.stopping.wait(self.args.sim_stop_at):
            return
        start = now()
        self.sim.send_signal(signal.SIGTERM)
        self.sim.wait()
        if self.stopping.wait(self.args.sim_stop_seconds):
            return
        self.start_sim()
        self.event("sim-stop", start, now())
        if self.stopping.wait(max(0, self.args.storm_at - (now() - self.started))):
            return
        start = now()
        urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{self.sim_port}/admin/storm?seconds={self.args.storm_seconds}", method="POST"), timeout=5).read()
        self.stopping.wait(self.args.storm_seconds)
        self.event("rate-limit-storm", start, now())

    # MARK: load and observation

    def ingest(self, chunks, url, token):
        """Posts the chunk files one after the other, paced, each through `vigil ingest` (which retries)."""
        for path in chunks:
            start = now()
            result = self.vigil("ingest", path, "--url", url, "--token", token, "--batch-size", str(self.args.batch_size),
                                "--max-attempts", "60", "--quiet", check=False)
            m = re.search(r"(\d+) accepted, (\d+) duplicates, (\d+) rejected", result.stdout)
            self.ingest_results.append(dict(
                file=os.path.basename(path), start=start, end=now(), exit=result.returncode,
                accepted=int(m.group(1)) if m else 0, duplicates=int(m.group(2)) if m else 0, rejected=int(m.group(3)) if m else 0,
                error=None if result.returncode == 0 else result.stderr.strip()[-500:]))
            time.sleep(self.args.ingest_pause)
        self.ingest_done.set()

    def monitor(self):
        """Samples the tables every second, and restarts a worker that exited by itself (as a supervisor would):
        a worker that cannot reach the database at start-up exits with an error."""
        while not self.stopping.wait(1.0):
            with self.slot_lock:
                for slot, process in list(self.workers.items()):
                    if process.poll() is not None and not self.stopping.is_set():
                        self.unexpected_exits.append(dict(t=round(now() - self.started, 1), pid=process.pid, status=process.returncode))
                        self.start_worker(slot)
            line = self.psql("SELECT (SELECT count(*) FROM alert) || ',' || (SELECT count(*) FROM verdict) || ',' || "
                             "(SELECT count(*) FROM dead_job) || ',' || (SELECT count(*) FROM triage_job)", check=False)
            if line:
                alerts, verdicts, dead, backlog = map(int, line.split(","))
                self.timeline.append(dict(t=round(now() - self.started, 1), alerts=alerts, verdicts=verdicts, dead=dead, backlog=backlog))
            else:
                self.timeline.append(dict(t=round(now() - self.started, 1), database="unreachable"))

    def run(self):
        args = self.args
        os.makedirs(self.out, exist_ok=True)
        chunks = write_alerts(args, self.out)
        self.start_postgres()
        try:
            return self.run_cluster(chunks)
        finally:
            self.stopping.set()
            for process in list(self.workers.values()) + [getattr(self, "coordinator", None), self.sim]:
                if process and process.poll() is None:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
            self.stop_postgres()
            for log in self.log_files:
                log.close()

    def run_cluster(self, chunks):
        args = self.args
        url = self.pg["url"]
        self.vigil("migrate", "--database-url", url, "--shards", str(args.shards))
        token = self.vigil("token", "create", "--database-url", url, "--scope", "ingest", "--name", "chaos").stdout.strip()
        port = free_port()
        self.coordinator = self.spawn("coordinator", [args.vigil, "coordinator", "--database-url", url, "--listen", f"127.0.0.1:{port}",
                                                      "--database-timeout", "3"])
        coordinator_url = f"http://127.0.0.1:{port}"
        wait_http(coordinator_url + "/healthz", 60)
        if args.ai:
            self.sim_port = free_port()
            self.start_sim()
        for slot in range(args.workers):
            self.start_worker(slot)

        self.started = now()
        threads = [threading.Thread(target=self.ingest, args=(chunks, coordinator_url, token), daemon=True),
                   threading.Thread(target=self.killer, daemon=True),
                   threading.Thread(target=self.pg_restart, daemon=True),
                   threading.Thread(target=self.monitor, daemon=True)]
        if args.ai:
            threads.append(threading.Thread(target=self.sim_faults, daemon=True))
        for thread in threads:
            thread.start()

        deadline = self.started + args.timeout
        scheduled = [threads[2]] + threads[4:]  # the one-off faults: the run lasts until they are over
        finished = False
        while now() < deadline:
            time.sleep(1)
            if not self.ingest_done.is_set() or any(t.is_alive() for t in scheduled):
                continue
            if self.psql("SELECT count(*) FROM triage_job", check=False) == "0":
                finished = True
                break
        self.finished_at = now()
        with self.slot_lock:
            self.stopping.set()
        for thread in threads[1:]:
            thread.join(timeout=max(60, 4 * args.lease_seconds + 15))
        # Graceful stop: SIGTERM every worker (each marks itself draining, hands back, releases). A worker the killer
        # has just restarted is first given time to register: before its signal handlers are installed, SIGTERM
        # would end it like SIGKILL.
        pids = ",".join(str(p.pid) for p in self.workers.values())
        registered_by = now() + 30
        while now() < registered_by and self.psql(f"SELECT count(*) FROM worker WHERE pid IN ({pids})", check=False) != str(len(self.workers)):
            time.sleep(0.25)
        for process in self.workers.values():
            process.send_signal(signal.SIGTERM)
        clean = all(process.wait(timeout=60) == 0 for process in self.workers.values())
        self.coordinator.send_signal(signal.SIGTERM)
        self.coordinator.wait(timeout=30)
        if self.sim and self.sim.poll() is None:
            self.sim.send_signal(signal.SIGTERM)
            self.sim.wait(timeout=30)
        return self.report(finished, clean)

    # MARK: report

    def report(self, finished, clean_shutdown):
        args = self.args
        ids_path = os.path.join(self.out, "external_ids.txt")
        events_path = os.path.join(self.out, "events.csv")
        with open(events_path, "w") as f:
            for i, e in enumerate(self.events):
                f.write(f"{i},{e['fault']},{e['start']},{e['end']}\n")
        # The processes stopped by SIGTERM (rows left by SIGKILLed ones expire on their own and are not counted).
        pids = ",".join(str(p.pid) for p in self.workers.values())
        patterns = ",".join(f"'%:{p.pid}:%'" for p in self.workers.values())
        # One script, one session: the input ids and the fault windows as temporary tables, then every figure.
        script = f"""
CREATE TEMP TABLE input_id (external_id text PRIMARY KEY);
\\copy input_id FROM '{ids_path}'
CREATE TEMP TABLE fault (n int, name text, start_at float8, end_at float8);
\\copy fault FROM '{events_path}' WITH (FORMAT csv)
CREATE TEMP VIEW life AS
  SELECT a.id, a.received_at, v.created_at AS decided_at, extract(epoch FROM v.created_at - a.received_at) AS latency
  FROM alert a JOIN verdict v ON v.shard = a.shard AND v.alert_id = a.id;
SELECT json_build_object(
  'input', (SELECT count(*) FROM input_id),
  'held', (SELECT count(*) FROM alert WHERE source = 'chaos'),
  'missing_from_alert', (SELECT count(*) FROM input_id i WHERE NOT EXISTS
      (SELECT 1 FROM alert a WHERE a.source = 'chaos' AND a.external_id = i.external_id)),
  'verdicts', (SELECT count(*) FROM verdict),
  'verdict_rows_duplicated', (SELECT count(*) FROM (SELECT 1 FROM verdict GROUP BY shard, alert_id HAVING count(*) > 1) d),
  'dead_lettered', (SELECT count(*) FROM dead_job),
  'dead_reasons', (SELECT coalesce(json_object_agg(reason, n), '{{}}') FROM
      (SELECT left(last_error, 120) AS reason, count(*) AS n FROM dead_job GROUP BY 1) r),
  'unfinished', (SELECT count(*) FROM triage_job),
  'without_outcome', (SELECT count(*) FROM alert a WHERE NOT EXISTS (SELECT 1 FROM verdict v WHERE v.shard = a.shard AND v.alert_id = a.id)
      AND NOT EXISTS (SELECT 1 FROM dead_job d WHERE d.shard = a.shard AND d.alert_id = a.id)
      AND NOT EXISTS (SELECT 1 FROM triage_job j WHERE j.shard = a.shard AND j.alert_id = a.id)),
  'counters', (SELECT coalesce(json_object_agg(name, value), '{{}}') FROM queue_counter),
  'workers_left', (SELECT count(*) FROM worker WHERE pid IN ({pids})),
  'leases_held', (SELECT count(*) FROM shard_lease WHERE owner LIKE ANY (ARRAY[{patterns}])),
  'killed_rows_left', (SELECT count(*) FROM worker WHERE pid NOT IN ({pids})),
  'latency', (SELECT json_build_object('p50', percentile_cont(0.5) WITHIN GROUP (ORDER BY latency),
      'p99', percentile_cont(0.99) WITHIN GROUP (ORDER BY latency), 'max', max(latency)) FROM life),
  'faults', (SELECT coalesce(json_agg(x ORDER BY x.n), '[]') FROM (
      SELECT f.n, f.name,
        (SELECT max(latency) FROM life WHERE extract(epoch FROM received_at) <= f.end_at AND extract(epoch FROM decided_at) >= f.start_at)
          AS worst_latency,
        (SELECT min(extract(epoch FROM decided_at)) FROM life WHERE extract(epoch FROM decided_at) > f.end_at) - f.end_at
          AS first_verdict_after
      FROM fault f) x)
);
"""
        env = dict(os.environ, PGCONNECT_TIMEOUT="5")
        result = subprocess.run(["psql", self.pg["url"], "-v", "ON_ERROR_STOP=1", "-Atq"], input=script, capture_output=True, text=True,
                                env=env)
        if result.returncode != 0:
            raise RuntimeError(f"report query failed: {result.stderr}")
        db = json.loads(result.stdout)
        acknowledged = sum(r["accepted"] + r["duplicates"] for r in self.ingest_results)
        refused = [r for r in self.ingest_results if r["exit"] != 0]
        lost = db["missing_from_alert"] + db["without_outcome"]
        duplicated = db["verdict_rows_duplicated"] + int(db["counters"].get("duplicate_verdicts", 0))

        faults = []
        for i, e in enumerate(self.events):
            row = next((f for f in db["faults"] if f["n"] == i), {})
            faults.append(dict(e, seconds=round(e["end"] - e["start"], 3), worst_latency=row.get("worst_latency"),
                               first_verdict_after=row.get("first_verdict_after"),
                               worst_ingest_batch=max((r["end"] - r["start"] for r in self.ingest_results
                                                       if r["start"] <= e["end"] and r["end"] >= e["start"]), default=None)))
        report = dict(
            configuration=dict(alerts=args.alerts, workers=args.workers, ai=args.ai, fsync=not args.fast, seed=args.seed,
                               shards=args.shards, lease_seconds=args.lease_seconds, vigil=args.vigil),
            finished=finished, clean_shutdown=clean_shutdown, seconds=round(self.finished_at - self.started, 1),
            acknowledged=acknowledged, held=db["held"], verdicts=db["verdicts"], dead_lettered=db["dead_lettered"],
            dead_reasons=db["dead_reasons"], lost=lost, duplicated=duplicated, unfinished=db["unfinished"],
            refused_ingest_runs=len(refused), refused_detail=[r["error"] for r in refused][:5],
            counters=db["counters"], workers_left=db["workers_left"], leases_held=db["leases_held"],
            killed_worker_rows_left=db["killed_rows_left"],
            latency=db["latency"], faults=faults, unexpected_worker_exits=self.unexpected_exits, timeline=self.timeline)
        checks = {
            "every input alert acknowledged": acknowledged == args.alerts and not refused,
            "acknowledged == held": acknowledged == db["held"],
            "acknowledged == verdicts + dead-lettered": acknowledged == db["verdicts"] + db["dead_lettered"],
            "nothing lost": lost == 0,
            "nothing duplicated": duplicated == 0,
            "finished within the timeout": finished,
            "faults injected": any(e["fault"] == "pg-restart" for e in self.events) and any(e["fault"] == "worker-kill" for e in self.events)
                and (not args.ai or {"sim-stop", "rate-limit-storm"} <= {e["fault"] for e in self.events}),
        }
        if args.ai:
            # A fault that no alert lived through tested nothing (a kill after the last verdict may, the others not).
            # The rule path decides each ingest file within a fraction of a second, so there a fault may fall
            # between files and test the ingest retries alone.
            checks["each restart/stop/storm and some kill met alerts in flight"] = (
                all(f["worst_latency"] is not None for f in faults if f["fault"] != "worker-kill")
                and any(f["worst_latency"] is not None for f in faults if f["fault"] == "worker-kill"))
        checks |= {
            "workers stopped by SIGTERM exited 0, left no worker row and no lease":
                clean_shutdown and db["workers_left"] == 0 and db["leases_held"] == 0,
        }
        report["checks"] = checks
        report["passed"] = all(checks.values())
        with open(os.path.join(self.out, "report.json"), "w") as f:
            json.dump(report, f, indent=2)
        print_report(report)
        return report["passed"]


def print_report(r):
    print()
    print(f"chaos: {r['configuration']['alerts']} alerts, {r['configuration']['workers']} workers, "
          f"{'AI path' if r['configuration']['ai'] else 'rule path'}, fsync {'on' if r['configuration']['fsync'] else 'off'}, "
          f"{r['seconds']} s")
    print(f"  acknowledged {r['acknowledged']}  held {r['held']}  verdicts {r['verdicts']}  dead-lettered {r['dead_lettered']}  "
          f"lost {r['lost']}  duplicated {r['duplicated']}")
    for reason, n in r["dead_reasons"].items():
        print(f"  dead-lettered {n}: {reason}")
    if r["unfinished"]:
        print(f"  unfinished (still queued at the timeout, not lost): {r['unfinished']}")
    lat = r["latency"]
    if lat["p50"] is not None:
        print(f"  latency (ingest commit -> verdict commit) p50 {lat['p50']:.2f} s  p99 {lat['p99']:.2f} s  max {lat['max']:.2f} s")
    print(f"  {'fault':<18}{'count':>6}{'longest s':>11}{'worst latency s':>17}{'recovery s':>12}{'worst ingest s':>16}{'shards moved s':>16}")
    names = []
    for f in r["faults"]:
        if f["fault"] not in names:
            names.append(f["fault"])
    for name in names:
        rows = [f for f in r["faults"] if f["fault"] == name]
        def worst(key):
            values = [f[key] for f in rows if f.get(key) is not None]
            return f"{max(values):.2f}" if values else "-"
        print(f"  {name:<18}{len(rows):>6}{worst('seconds'):>11}{worst('worst_latency'):>17}{worst('first_verdict_after'):>12}"
              f"{worst('worst_ingest_batch'):>16}{worst('shards_moved_seconds'):>16}")
    for exit in r["unexpected_worker_exits"]:
        print(f"  worker {exit['pid']} exited by itself with status {exit['status']} at {exit['t']} s (restarted)")
    for name, ok in r["checks"].items():
        print(f"  [{'ok' if ok else 'FAIL'}] {name}")
    print(f"chaos: {'PASSED' if r['passed'] else 'FAILED'}")


def wait_http(url, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def write_alerts(args, out):
    """The alerts, NDJSON, in --chunks files, and their external ids (one per line) for the loss check."""
    rng = random.Random(args.seed)
    events = ["ConsoleLogin", "CreateRole", "AttachRolePolicy", "GetObject", "ListBuckets", "CreateAccessKey", "DescribeInstances",
              "AssumeRole", "PutBucketPolicy", "DeleteTrail"]
    severities = ["low", "medium", "high", "critical"]
    ids = []
    chunks = []
    per = (args.alerts + args.chunks - 1) // args.chunks
    for c in range(args.chunks):
        path = os.path.join(out, f"alerts-{c:03d}.ndjson")
        with open(path, "w") as f:
            for n in range(c * per, min(args.alerts, (c + 1) * per)):
                principal = f"arn:aws:iam::{123456789000 + rng.randrange(5)}:user/u{rng.randrange(400)}"
                external = f"chaos-{args.seed}-{n}"
                ids.append(external)
                alert = dict(source="chaos", external_id=external, kind="cloudtrail", severity=rng.choice(severities),
                             occurred_at="2026-11-26T10:%02d:%02dZ" % (n // 60 % 60, n % 60), principal=principal,
                             source_ip=f"198.51.100.{rng.randrange(1, 255)}",
                             payload=dict(eventName=rng.choice(events), eventSource="iam.amazonaws.com", n=n))
                f.write(json.dumps(alert) + "\n")
        chunks.append(path)
    with open(os.path.join(out, "external_ids.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")
    return chunks


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vigil", required=True, help="the vigil binary")
    p.add_argument("--out", default="benchmarks/chaos/results", help="folder for logs, alerts and report.json")
    p.add_argument("--alerts", type=int, default=20000)
    p.add_argument("--chunks", type=int, default=40, help="ingest files, posted one after the other")
    p.add_argument("--batch-size", type=int, default=250, help="alerts per ingest request")
    p.add_argument("--ingest-pause", type=float, help="seconds between ingest files (default 0.5; with --ai 4, so ingest\n"
                   "lasts about three minutes and every fault meets alerts in flight)")
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--shards", type=int, default=32)
    p.add_argument("--lease-seconds", type=float, default=4)
    p.add_argument("--job-lease-seconds", type=float, default=10)
    p.add_argument("--kill-min", type=float, default=3, help="seconds between worker kills, at least")
    p.add_argument("--kill-max", type=float, default=6, help="seconds between worker kills, at most")
    p.add_argument("--pg-restart-at", type=float, help="seconds into the run (default 15; with --ai 30)")
    p.add_argument("--ai", action="store_true", help="AI path: workers use vigil llm-sim (OpenAI API); adds the simulator faults")
    p.add_argument("--llm-model", default="vigil-sim")
    p.add_argument("--sim-latency-ms", type=int, default=200, help="the simulator's median latency per model call")
    p.add_argument("--llm-concurrency", type=int, default=32, help="model calls in flight per worker (AI path)")
    p.add_argument("--sim-stop-at", type=float, default=60, help="seconds into the run")
    p.add_argument("--sim-stop-seconds", type=float, default=30)
    p.add_argument("--storm-at", type=float, default=120, help="seconds into the run (after the simulator is back)")
    p.add_argument("--storm-seconds", type=float, default=10)
    p.add_argument("--worker-arg", action="append", default=[], help="an extra argument for every worker (repeatable)")
    p.add_argument("--fast", action="store_true", help="fsync off (CI); the full run keeps it on")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=900, help="seconds the run may take before it fails")
    args = p.parse_args()
    # On the AI path alerts arrive slowly enough that the backlog lasts past the last fault: while the simulator is
    # down the rule path decides alone and fast, so a quick ingest would leave the later faults nothing to hit.
    if args.ingest_pause is None:
        args.ingest_pause = 4 if args.ai else 0.5
    if args.pg_restart_at is None:
        args.pg_restart_at = 30 if args.ai else 15
    args.out = os.path.abspath(args.out)
    args.vigil = os.path.abspath(args.vigil)
    ok = Cluster(args).run()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
