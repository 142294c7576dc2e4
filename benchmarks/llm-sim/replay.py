#!/usr/bin/env python3
"""Replays real model requests at `vigil llm-sim` and reports the simulator's cost per call (standard library only).

capture: saves the bodies of a running simulator's answered requests (its `GET /requests` log; start it with
         `--request-log N`) as JSON lines, e.g. after a `vigil demo` run against it.
compare: posts every saved body to two simulators and counts the replies that differ (ids aside): a check that a
         change to the simulated model kept its behaviour on real conversations.
replay:  N keep-alive workers post those bodies round-robin for a fixed time at a simulator started with
         `--latency-median-ms 0`, and prints calls answered per second and, from /proc/PID/stat, the simulator's CPU
         seconds: calls per CPU-second is the simulator's throughput per core.

  python3 benchmarks/llm-sim/replay.py capture --url http://127.0.0.1:18089 --out /tmp/conversations.jsonl
  python3 benchmarks/llm-sim/replay.py replay --url http://127.0.0.1:18090 --pid PID --in /tmp/conversations.jsonl
  python3 benchmarks/llm-sim/replay.py compare --url http://127.0.0.1:18090 --url http://127.0.0.1:18091 --in …
"""
import argparse
import http.client
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import drive, percentiles  # noqa: E402


def capture(args):
    url = urllib.parse.urlparse(args.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    conn.request("GET", "/requests")
    entries = json.loads(conn.getresponse().read())
    kept = [e for e in entries if e["status"] == 200 and e["endpoint"] == "/v1/messages"]
    with open(args.out, "w") as out:
        for entry in kept:
            out.write(json.dumps({"body": entry["body"]}) + "\n")
    sizes = sorted(len(e["body"].encode()) for e in kept)
    print(json.dumps({"captured": len(kept), "of": len(entries),
                      "body_bytes": {"min": sizes[0], "median": sizes[len(sizes) // 2], "max": sizes[-1]} if sizes else None}))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def replay(args):
    url = urllib.parse.urlparse(args.url)
    bodies = [json.loads(line)["body"].encode() for line in open(getattr(args, "in"))]
    headers = {"content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "replay"}
    counter = [0]

    def next_body():  # called under the driver's lock
        counter[0] += 1
        return bodies[(counter[0] - 1) % len(bodies)]

    cpu_before = cpu_seconds(args.pid) if args.pid else None
    statuses, latencies, wall = drive(url, "/v1/messages", next_body, headers, args.workers, args.seconds)
    cpu = cpu_seconds(args.pid) - cpu_before if args.pid else None
    served = statuses.get(200, 0)
    pct = percentiles(latencies)

    print(json.dumps({
        "conversations": len(bodies), "workers": args.workers, "seconds": round(wall, 2), "by_status": statuses,
        "calls_per_second": round(served / wall, 1),
        "simulator_cpu_seconds": round(cpu, 2) if cpu is not None else None,
        "calls_per_cpu_second": round(served / cpu, 1) if cpu else None,
        "latency_ms": {"p50": pct(0.5), "p99": pct(0.99)},
        "loadavg": open("/proc/loadavg").read().split()[:3]}, indent=1))


def compare(args):
    """Posts every captured body to two simulators and checks that their replies agree (ids and usage aside)."""
    bodies = [json.loads(line)["body"].encode() for line in open(getattr(args, "in"))]
    headers = {"content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "replay"}

    def answer(base, body):
        url = urllib.parse.urlparse(base)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        conn.request("POST", "/v1/messages", body, headers)
        response = conn.getresponse()
        reply = json.loads(response.read())
        return response.status, [{k: v for k, v in block.items() if k != "id"} for block in reply.get("content", [])], \
            reply.get("stop_reason")

    differing = [i for i, body in enumerate(bodies) if answer(args.url[0], body) != answer(args.url[1], body)]
    print(json.dumps({"conversations": len(bodies), "differing": len(differing), "first_differing": differing[:5]}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--url", required=True)
    c.add_argument("--out", required=True)
    r = sub.add_parser("replay")
    r.add_argument("--url", required=True)
    r.add_argument("--in", required=True)
    r.add_argument("--pid", type=int, help="the simulator's process id, for its CPU time")
    r.add_argument("--workers", type=int, default=4)
    r.add_argument("--seconds", type=float, default=20)
    k = sub.add_parser("compare")
    k.add_argument("--url", action="append", required=True, help="twice: the two simulators")
    k.add_argument("--in", required=True)
    args = parser.parse_args()
    {"capture": capture, "replay": replay, "compare": compare}[args.command](args)


if __name__ == "__main__":
    main()
