#!/usr/bin/env python3
"""The stall of issue 11, measured: sends N large `POST /v1/check` bodies at once (by default
three of `{"id":"s","text":"ngu " * 200000}`, ~800 KB) to a running `quytac serve`, and meanwhile
asks `/healthz` every 100 ms. Prints the worst and median /healthz latency while the checks ran,
and each check's status, time and answer size. Loopback only; standard library only.

    scripts/check-stall.py [--port 18080] [--count 3] [--repeat 200000] [--timeout 120]
"""

import argparse
import http.client
import json
import statistics
import threading
import time


def post(port, body, timeout):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        conn.request("POST", "/v1/check", body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, time.monotonic() - started, len(data), data[:120]
    except Exception as e:  # a reset or a timeout is a figure too
        return type(e).__name__, time.monotonic() - started, 0, b""
    finally:
        conn.close()


def health(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.monotonic()
    conn.request("GET", "/healthz")
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status, time.monotonic() - started


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=18080)
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=200000)
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    body = json.dumps({"id": "s", "text": "ngu " * args.repeat}).encode()
    results = [None] * args.count

    def run(i):
        results[i] = post(args.port, body, args.timeout)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(args.count)]
    started = time.monotonic()
    for t in threads:
        t.start()
    latencies = []
    while any(t.is_alive() for t in threads):
        status, took = health(args.port)
        latencies.append(took)
        time.sleep(0.1)
    for t in threads:
        t.join()
    total = time.monotonic() - started
    print(f"body: {len(body)} bytes x {args.count}; all answered after {total:.2f} s")
    if latencies:
        print(
            f"/healthz while checking: {len(latencies)} asked, worst {max(latencies) * 1000:.1f} ms, "
            f"median {statistics.median(latencies) * 1000:.1f} ms"
        )
    for i, (status, took, size, head) in enumerate(results):
        print(f"check {i}: status {status}, {took:.2f} s, {size} bytes {head[:80]!r}")


if __name__ == "__main__":
    main()
