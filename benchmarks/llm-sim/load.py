#!/usr/bin/env python3
"""Load generator for `vigil llm-sim` (standard library only).

N worker threads, each with one keep-alive connection, send first-turn triage requests for a fixed time.
A worker that gets 429 sleeps for `retry-after` seconds, as a well-behaved client would. Prints a JSON summary:
requests, replies by status, requests served per second, latency percentiles of 200s, and the simulator's own
/stats for comparison.

  vigil llm-sim --listen 127.0.0.1:18088 --latency-median-ms 0 &
  python3 benchmarks/llm-sim/load.py --url http://127.0.0.1:18088 --api anthropic --workers 8 --seconds 20
"""
import argparse
import http.client
import json
import threading
import time
import urllib.parse

TOOLS = ["get_cloudtrail_events", "get_iam_principal_history", "check_guardduty_findings", "get_vpc_flow_logs",
         "lookup_ip_reputation", "submit_verdict"]
ALERT = json.dumps({"source": "cloudtrail", "principal": "arn:aws:iam::123456789012:user/alice",
                    "source_ip": "203.0.113.7", "eventName": "CreateAccessKey", "account": "123456789012"})


def body(api):
    if api == "anthropic":
        return {"model": "claude-haiku-4-5-20251001", "max_tokens": 1024, "system": "You triage security alerts.",
                "tools": [{"name": t, "input_schema": {"type": "object"}} for t in TOOLS],
                "messages": [{"role": "user", "content": ALERT}]}
    return {"model": "local", "max_tokens": 1024,
            "tools": [{"type": "function", "function": {"name": t, "parameters": {"type": "object"}}} for t in TOOLS],
            "messages": [{"role": "system", "content": "You triage security alerts."}, {"role": "user", "content": ALERT}]}


def drive(url, path, next_body, headers, workers, seconds):
    """`workers` threads, each with one keep-alive connection, post `next_body()` to `path` for `seconds`, sleeping
    for `retry-after` on 429. Returns (replies by status, latencies of 200s in seconds, wall seconds)."""
    lock = threading.Lock()
    statuses, latencies = {}, []
    deadline = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        while time.monotonic() < deadline:
            with lock:
                payload = next_body()
            start = time.monotonic()
            conn.request("POST", path, payload, headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.monotonic() - start
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status == 200:
                    latencies.append(elapsed)
            if response.status == 429:
                time.sleep(min(float(response.getheader("retry-after", "1")), max(0, deadline - time.monotonic())))

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses, sorted(latencies), time.monotonic() - started


def percentiles(latencies):
    """p → the p-quantile of sorted latencies in milliseconds (None when there are none)."""
    return lambda p: round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:18088")
    parser.add_argument("--api", choices=["anthropic", "openai"], default="anthropic")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    url = urllib.parse.urlparse(args.url)
    path = "/v1/messages" if args.api == "anthropic" else "/v1/chat/completions"
    payload = json.dumps(body(args.api)).encode()
    headers = {"content-type": "application/json"}
    if args.api == "anthropic":
        headers["anthropic-version"] = "2023-06-01"
    statuses, latencies, wall = drive(url, path, lambda: payload, headers, args.workers, args.seconds)
    pct = percentiles(latencies)

    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("GET", "/stats")
    stats = json.loads(conn.getresponse().read())
    served = statuses.get(200, 0)
    print(json.dumps({"api": args.api, "workers": args.workers, "seconds": round(wall, 2),
                      "requests": sum(statuses.values()), "by_status": statuses, "served_per_second": round(served / wall, 1),
                      "latency_ms": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99)}, "simulator_stats": stats}, indent=1))


if __name__ == "__main__":
    main()
