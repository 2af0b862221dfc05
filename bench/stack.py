"""Part 2: the whole stack against the bare app, on the same server, in the same run.

pocketcloud is started as a user starts it (`pocketcloud start --ephemeral --port P`); the
reference is the bare app of bench/apps.py under the same server (uvicorn + uvloop + httptools,
embedded, as pocketcloud/server.py runs it). Both receive byte-identical requests: the call boto3
builds and signs (SigV4, credentials test/test, us-east-1), captured and replayed by wrk.

Then "what a user sees": boto3 calls/s with N threads through pocketcloud, next to boto3's own
ceiling (the same client with its transport stubbed by a canned answer, no server at all).
"""

from __future__ import annotations

import os
import threading
import time

from bench import awsreq
from bench import harness as h

REFERENCE_SERVER = "uvicorn-httptools"  # what pocketcloud/server.py runs
TARGET = 0.35


def _replay_script(signed: awsreq.Signed) -> str:
    headers = {k: v for k, v in signed.headers.items() if k.lower() != "content-length"}
    return h.wrk_script(signed.method, signed.body.decode(), headers)


def _check(port: int, signed: awsreq.Signed, who: str, workload: str) -> None:
    status, body = h.request(port, signed.method, signed.path, signed.body, signed.headers)
    if status != 200 or (who == "pocketcloud" and signed.marker not in body):
        raise RuntimeError(f"{who} answered {workload} with {status}: {body[:300]!r}")


def boto3_rate(make_client, threads: int, seconds: float) -> tuple[float, int]:
    """(calls/s, errors) of `threads` threads each calling get_caller_identity in a loop."""
    clients = [make_client() for _ in range(threads)]
    for api in clients:  # first call loads models and opens the connection: not timed
        api.get_caller_identity()
    counts = [0] * threads
    errors = [0] * threads
    start = threading.Barrier(threads + 1)
    stop_at = [0.0]

    def loop(index: int, api) -> None:
        start.wait()
        while time.perf_counter() < stop_at[0]:
            try:
                api.get_caller_identity()
                counts[index] += 1
            except Exception:
                errors[index] += 1

    workers = [threading.Thread(target=loop, args=(i, api), daemon=True) for i, api in enumerate(clients)]
    for worker in workers:
        worker.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for worker in workers:
        worker.join(seconds + 30)
    elapsed = time.perf_counter() - began
    return sum(counts) / elapsed, sum(errors)


def run(rounds: int = 3, duration: float = 3.0, boto_threads: int = 4, boto_seconds: float = 2.0,
        boto_rounds: int = 2) -> dict:
    h.section(f"2. Whole stack vs bare app on the same server ({REFERENCE_SERVER}), wrk -t1 -c16")
    pc_port, bare_port = h.free_port(), h.free_port()
    rates = {(w, who): [] for w in awsreq.WORKLOADS for who in ("pocketcloud", "bare")}
    cpu = {key: [] for key in rates}
    errors = {key: 0 for key in rates}
    boto = {"pocketcloud": [], "stubbed": [], "errors": 0}
    scripts = {}
    with h.Server("pocketcloud", h.pocketcloud_start(pc_port), pc_port) as pc, \
            h.Server("bare", h.bench_server(REFERENCE_SERVER, bare_port), bare_port) as bare:
        h.wait_until(bare, h.get_ok(bare_port))
        h.wait_until(pc, lambda: h.request(pc_port, path="/_pocketcloud/health", timeout=2)[0] == 200)
        try:
            for workload in awsreq.WORKLOADS:
                for who, port in (("pocketcloud", pc_port), ("bare", bare_port)):
                    signed = awsreq.signed_request(workload, port)
                    _check(port, signed, who, workload)
                    pid = (pc if who == "pocketcloud" else bare).proc.pid
                    scripts[workload, who] = (port, _replay_script(signed), pid)
            for port, script, _ in scripts.values():  # warm-up, not recorded
                h.run_wrk(port, 1, script=script)
            for _ in range(rounds):
                for key, (port, script, pid) in scripts.items():
                    out = h.run_wrk(port, duration, script=script, server_pid=pid)
                    rates[key].append(out["rps"])
                    cpu[key].append(out["cpu_us"])
                    errors[key] += out["non2xx"] + out["socket_errors"]
        finally:
            for _, script, _ in scripts.values():
                os.unlink(script)

        for _ in range(boto_rounds):
            rate, failed = boto3_rate(lambda: awsreq.client("sts", pc_port), boto_threads, boto_seconds)
            boto["pocketcloud"].append(rate)
            boto["errors"] += failed
            rate, failed = boto3_rate(awsreq.stubbed_client, boto_threads, boto_seconds)
            boto["stubbed"].append(rate)
            boto["errors"] += failed

    rows = []
    for workload in awsreq.WORKLOADS:
        pc_rates, bare_rates = rates[workload, "pocketcloud"], rates[workload, "bare"]
        ratio = h.median([a / b for a, b in zip(pc_rates, bare_rates)])
        cpu_pc, cpu_bare = h.median(cpu[workload, "pocketcloud"]), h.median(cpu[workload, "bare"])
        rows.append([workload, h.median(pc_rates), h.median(bare_rates), ratio, f">= {TARGET:.2f}",
                     "ok" if ratio >= TARGET else "BELOW", cpu_pc, cpu_bare, cpu_bare / cpu_pc,
                     errors[workload, "pocketcloud"] + errors[workload, "bare"]])
    print(h.table(["workload", "pocketcloud req/s", "bare req/s", "ratio", "target", "",
                   "pc CPU us/req", "bare CPU us/req", "CPU ratio", "errors"], rows))
    print("ratio: median over rounds of pocketcloud/bare req/s measured back to back. CPU ratio: bare/pocketcloud"
          " server CPU per request, the same comparison with less noise. errors: non-2xx + socket.")
    for workload in awsreq.WORKLOADS:
        pairs = zip(rates[workload, "pocketcloud"], rates[workload, "bare"])
        print(f"  {workload}, per round: " + "  ".join(f"{a:.0f}/{b:.0f}={a / b:.2f}" for a, b in pairs))

    pc_rate, stub_rate = h.median(boto["pocketcloud"]), h.median(boto["stubbed"])
    print()
    print(h.table(
        [f"boto3 get_caller_identity, {boto_threads} threads", "calls/s", "ms/call/thread"],
        [["through pocketcloud", pc_rate, boto_threads * 1000 / pc_rate],
         ["boto3 alone (stubbed transport)", stub_rate, boto_threads * 1000 / stub_rate]],
    ))
    print(f"pocketcloud keeps {pc_rate / stub_rate:.0%} of boto3's own ceiling"
          f" (client and server share the machine's cores; errors: {boto['errors']})")
    return {"rates": rates, "boto3": boto}
