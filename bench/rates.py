"""Request rates of several AWS calls on one server, each next to a reference call, measured back
to back in interleaved rounds by wrk replaying boto3-signed requests (bench/logs.py,
bench/events.py)."""

from __future__ import annotations

import os

from bench import awsreq
from bench import harness as h


def run_part(service_title: str, setup, calls_of, rounds: int, duration: float, connections: int) -> dict:
    """Start `pocketcloud start --ephemeral`, run setup(port), then compare the rates of the calls
    calls_of() names against STS GetCallerIdentity (added as the reference)."""
    h.section(f"{service_title} request rates vs STS GetCallerIdentity on the same server, wrk -t1 -c{connections}")
    port = h.free_port()
    with h.Server("pocketcloud", h.pocketcloud_start(port), port) as pc:
        h.wait_until(pc, lambda: h.request(port, path="/_pocketcloud/health", timeout=2)[0] == 200)
        setup(port)
        calls = {"sts GetCallerIdentity": ("sts", "get_caller_identity", {}), **calls_of()}
        return compare(port, pc, calls, "sts GetCallerIdentity", rounds, duration, connections)


def compare(port: int, pc: h.Server, calls: dict, reference: str, rounds: int, duration: float,
            connections: int) -> dict:
    """calls: {name: (service, boto3 method, params)}; prints the table of req/s and ratios to
    `reference` (one of the names) and returns {"rates": {name: [req/s per round]}}."""
    scripts = {}
    try:
        for name, (service, method, params) in calls.items():
            signed = awsreq.capture(awsreq.client(service, port), method, port, **params)
            status, body = h.request(port, signed.method, signed.path, signed.body, signed.headers)
            if status != 200:
                raise RuntimeError(f"{name} answered {status}: {body[:300]!r}")
            headers = {k: v for k, v in signed.headers.items() if k.lower() != "content-length"}
            scripts[name] = h.wrk_script(signed.method, signed.body.decode(), headers)
        for script in scripts.values():  # warm-up, not recorded
            h.run_wrk(port, 1, connections, script=script)
        rates = {name: [] for name in scripts}
        errors = {name: 0 for name in scripts}
        for _ in range(rounds):   # interleaved
            for name, script in scripts.items():
                out = h.run_wrk(port, duration, connections, script=script, server_pid=pc.proc.pid)
                rates[name].append(out["rps"])
                errors[name] += out["non2xx"] + out["socket_errors"]
    finally:
        for script in scripts.values():
            os.unlink(script)
    base = rates[reference]
    rows = [[name, h.median(r), h.median([a / b for a, b in zip(r, base)]), errors[name]]
            for name, r in rates.items()]
    print(h.table(["workload", "req/s", f"ratio to {reference}", "errors"], rows))
    print(f"ratio: median over rounds of the workload's req/s / {reference}'s, measured back to back.")
    return {"rates": rates}
