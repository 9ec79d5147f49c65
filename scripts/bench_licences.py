#!/usr/bin/env python3
"""Licence PDF rendering and verification throughput against a running demo server.

    target/release/onewindow demo --addr 127.0.0.1:8090 --data /tmp/ow-bench --cases 0 &
    python3 scripts/bench_licences.py http://127.0.0.1:8090

Logs in as the demo enterprise, takes its first licence, then (1) downloads its PDF `--pdfs`
times one after another (render + sign + HTTP, the server's whole path) and prints p50/p95,
and (2) runs `--clients` threads asking GET /api/v1/licences/verify for `--seconds` seconds and
prints requests per second. Standard library only.
"""
import argparse
import json
import statistics
import threading
import time
import urllib.request


def call(url, token=None, data=None):
    req = urllib.request.Request(url, data=data)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req) as resp:
        return resp.read()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--pdfs", type=int, default=200)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=10.0)
    a = p.parse_args()
    base = a.url.rstrip("/")
    login = json.dumps({"username": "enterprise", "password": "qiye-demo-2026"}).encode()
    token = json.loads(call(f"{base}/api/v1/auth/login", data=login))["token"]
    licences = json.loads(call(f"{base}/api/v1/licences", token))
    ident = licences[0]["identifier"]

    times = []
    for _ in range(a.pdfs):
        t = time.perf_counter()
        body = call(f"{base}/api/v1/licences/{ident}/pdf", token)
        times.append((time.perf_counter() - t) * 1000)
        assert body.startswith(b"%PDF-")
    times.sort()
    print(f"licence PDF download (render+sign+HTTP), {a.pdfs} sequential: "
          f"p50 {statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95) - 1]:.1f} ms, "
          f"{len(body) / 1024:.0f} KiB")

    stop = time.monotonic() + a.seconds
    counts = [0] * a.clients

    def worker(i):
        url = f"{base}/api/v1/licences/verify?id={ident}"
        while time.monotonic() < stop:
            call(url)
            counts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(counts)
    print(f"verification: {total} requests in {a.seconds:.0f} s with {a.clients} clients: "
          f"{total / a.seconds:.0f} requests/s")


if __name__ == "__main__":
    main()
