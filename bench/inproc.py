"""Optional part "profile": the gateway's own cost per request, with no server and no socket.

Drives the ASGI app directly (pocketcloud.gateway.app.create_app, in memory) with the same
boto3-signed requests part 2 replays, and the bare app likewise; prints microseconds of CPU per
request for each and, for pocketcloud, the functions that take the time (cProfile). CPU time of
one process is far less disturbed by a busy machine than req/s, so this is the figure to watch
while optimising the hot path; part 2 remains the one that counts.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import time

from bench import apps, awsreq
from bench import harness as h


def _scope(signed: awsreq.Signed) -> dict:
    path, _, query = signed.path.partition("?")
    headers = [(k.lower().encode(), v.encode()) for k, v in signed.headers.items()]
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http",
        "method": signed.method, "path": path, "raw_path": path.encode(), "query_string": query.encode(),
        "headers": headers, "server": ("127.0.0.1", 4566), "client": ("127.0.0.1", 50000), "root_path": "",
    }


async def _drive(app, signed: awsreq.Signed, count: int) -> int:
    scope = _scope(signed)
    request = {"type": "http.request", "body": signed.body, "more_body": False}
    statuses = {}

    async def receive():
        return request

    async def send(message):
        if message["type"] == "http.response.start":
            statuses[message["status"]] = statuses.get(message["status"], 0) + 1

    for _ in range(count):
        await app(scope, receive, send)
    return statuses.get(200, 0)


def _cpu_per_request(app, signed, seconds: float) -> float:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(_drive(app, signed, 50))  # warm caches, load models
        count, spent = 0, 0.0
        while spent < seconds:
            start = time.process_time()
            ok = loop.run_until_complete(_drive(app, signed, 200))
            spent += time.process_time() - start
            count += 200
            if ok != 200:
                raise RuntimeError(f"only {ok} of 200 requests answered 200")
        return spent / count * 1e6
    finally:
        loop.close()


def run(seconds: float = 1.5, top: int = 18) -> dict:
    from pocketcloud.config import Settings
    from pocketcloud.gateway.app import create_app

    h.section("profile: CPU per request inside the ASGI app (no server, no socket)")
    settings = Settings()
    settings.ephemeral = True
    gateway = create_app(settings)
    rows, results = [], {}
    for workload in awsreq.WORKLOADS:
        signed = awsreq.signed_request(workload, 4566)
        pc = _cpu_per_request(gateway, signed, seconds)
        bare = _cpu_per_request(apps.app, signed, seconds / 3)
        results[workload] = (pc, bare)
        rows.append([workload, pc, bare, pc / bare])
    print(h.table(["workload", "pocketcloud us/req", "bare app us/req", "x bare"], rows))

    for workload in awsreq.WORKLOADS:
        signed = awsreq.signed_request(workload, 4566)
        loop = asyncio.new_event_loop()
        profiler = cProfile.Profile()
        profiler.enable()
        loop.run_until_complete(_drive(gateway, signed, 2000))
        profiler.disable()
        loop.close()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
        lines = [line for line in out.getvalue().splitlines() if line.strip()]
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        print(f"\n{workload}: top {top} functions by own time over 2000 requests")
        print("\n".join(lines[start:]))
    return results
