"""Part 1: which ASGI server should pocketcloud embed?

Every candidate serves the same bare app (bench/apps.py). Measured, interleaved round by round
so that both cores' background noise falls on all candidates alike:

  - server CPU time per request (all its processes and threads): less disturbed by other load
    than req/s, and what a shared 2-core machine really pays
  - requests/s with wrk, 1 thread, 16 keep-alive connections (medians over rounds), twice:
    "bare": GET / answered at once; "work": a signed-looking POST to /work, where the app does
    about a light gateway request's worth of Python (see bench/apps.py). The second is the one
    that predicts the whole stack: a server fast on nothing can be slow next to a busy app.
  - cold start: spawn to the first 200 (medians over rounds)
  - idle memory after a few requests, summed over the server's process tree (RSS and PSS)
  - protocol checks: keep-alive, Expect: 100-continue, chunked request body, streamed response

Ratios are against the reference candidate (the first one listed), measured in the same run.
"""

from __future__ import annotations

import os
import time

from bench import harness as h
from bench.httpcheck import CHECKS, run_checks
from bench.serve import available

WORK_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
WORK_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    "X-Amz-Date": "20240101T000000Z",
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sts/aws4_request, "
                     "SignedHeaders=content-type;host;x-amz-date, Signature=" + "0" * 64,
}

DEFAULT_CANDIDATES = [
    "uvicorn-httptools",  # reference: uvloop + httptools
    "granian-rloop",  # granian's "auto" loop when rloop is installed
    "granian-uvloop",
    "granian-embed-uvloop",  # granian's in-process (embedded) API
    "uvicorn-h11",  # floor: pure-Python HTTP parser on the stock asyncio loop
]


def run(candidates=None, rounds: int = 3, duration: float = 3.0, cold_rounds: int = 5) -> dict:
    h.section("1. Server choice: bare ASGI app, wrk -t1 -c16 keep-alive")
    candidates = candidates or DEFAULT_CANDIDATES
    missing = [name for name in candidates if not available(name)]
    if missing:
        print(f"skipped (packages not installed): {', '.join(missing)}")
        candidates = [name for name in candidates if name not in missing]
    results = {name: {"rps": [], "work": [], "cpu_rps": [], "cpu_work": [], "cold": [], "errors": 0}
               for name in candidates}
    work_script = h.wrk_script("POST", WORK_BODY, WORK_HEADERS)

    servers = {}
    try:
        for name in candidates:
            port = h.free_port()
            servers[name] = h.Server(name, h.bench_server(name, port), port)
        for name, server in servers.items():
            h.wait_until(server, h.get_ok(server.port))
            results[name]["checks"] = run_checks(server.port)
        # Idle memory: all have served a handful of requests; let them settle together.
        time.sleep(1.5)
        for name, server in servers.items():
            results[name]["idle"] = h.memory_mb(server.proc.pid)

        for name, server in servers.items():  # warm-up, not recorded
            h.run_wrk(server.port, 1)
            h.run_wrk(server.port, 1, script=work_script, path="/work")
        for _ in range(rounds):
            for name, server in servers.items():
                for key, script, path in (("rps", None, "/"), ("work", work_script, "/work")):
                    out = h.run_wrk(server.port, duration, script=script, path=path, server_pid=server.proc.pid)
                    results[name][key].append(out["rps"])
                    results[name]["cpu_" + key].append(out["cpu_us"])
                    results[name]["errors"] += out["non2xx"] + out["socket_errors"]
    finally:
        for server in servers.values():
            server.stop()
        os.unlink(work_script)

    for _ in range(cold_rounds):
        for name in candidates:
            port = h.free_port()
            with h.Server(name, h.bench_server(name, port), port) as server:
                results[name]["cold"].append(h.wait_until(server, h.get_ok(port)))

    report(candidates, results)
    return results


def report(candidates, results) -> None:
    ref = results[candidates[0]]

    def ratio(name, key):  # per-round ratios, so a noisy round hits both sides alike
        return h.median([a / b for a, b in zip(results[name][key], ref[key])])

    rows = []
    for name in candidates:
        r = results[name]
        rss, pss, nproc = r["idle"]
        rows.append([name, h.median(r["rps"]), ratio(name, "rps"), h.median(r["cpu_rps"]),
                     h.median(r["work"]), ratio(name, "work"), h.median(r["cpu_work"]),
                     h.median(r["cold"]) * 1000, ratio(name, "cold"), rss, pss, nproc, r["errors"]])
    print(h.table(["server", "bare req/s", "x ref", "CPU us/req", "work req/s", "x ref", "CPU us/req",
                   "cold ms", "x ref", "idle RSS MB", "PSS MB", "procs", "errors"], rows))
    print(f"x ref: median of per-round ratios to {candidates[0]}. Per round, bare/work req/s:")
    for n in candidates:
        print(f"  {n}: " + " ".join(f"{a:.0f}/{b:.0f}" for a, b in zip(results[n]["rps"], results[n]["work"])))
    print()
    check_rows = []
    for name in candidates:
        checks = results[name]["checks"]
        check_rows.append([name] + [("ok" if checks[c][0] else "FAIL") for c in CHECKS])
    print(h.table(["server"] + list(CHECKS), check_rows))
    for name in candidates:
        notes = "; ".join(f"{c}: {note}" for c, (ok, note) in results[name]["checks"].items()
                          if not ok or c in ("expect-100", "stream-resp"))
        print(f"  {name}: {notes}")
